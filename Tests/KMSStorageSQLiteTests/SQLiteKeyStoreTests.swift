import Foundation
import KMSCore
@testable import KMSStorageSQLite
import KMSStorage
import KMSStorageConformance
import Logging
import Testing

/// Opens `SQLiteKeyStore`s on one database file.
struct SQLiteFixture: KeyStoreFixture {
    let path: String

    func openStore() async throws -> any KeyStore {
        try await SQLiteKeyStore.open(path: path, logger: Logger(label: "KMSStorageTests"))
    }
}

@Suite("SQLiteKeyStore")
struct SQLiteKeyStoreTests {
    private let logger = Logger(label: "KMSStorageTests")

    @Test("passes the key store conformance suite", arguments: KeyStoreConformance.Check.allCases)
    func conformance(_ check: KeyStoreConformance.Check) async throws {
        try await withTemporaryDirectory { directory in
            let fixture = SQLiteFixture(path: directory.appending(path: "keys.sqlite").path)
            try await KeyStoreConformance.run(check, fixture: fixture)
        }
    }

    @Test("a new database file is private to its owner, in WAL mode, at the current schema version")
    func newFileSettings() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending(path: "keys.sqlite").path
            let store = try await SQLiteKeyStore.open(path: path, logger: logger)
            let (key, version) = TestKeys.make()
            try await store.createKey(key, firstVersion: version)
            let walExists = FileManager.default.fileExists(atPath: path + "-wal")
            try await store.close()

            #expect(walExists)
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            let header = try DatabaseFile.header(path)
            // Bytes 18 and 19 are the file format write and read versions: 2 means WAL.
            #expect(header[18] == 2 && header[19] == 2)
            #expect(try DatabaseFile.userVersion(path) == SQLiteSchema.currentVersion)
        }
    }

    @Test("opening fails when the parent directory is missing")
    func missingParentDirectory() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending(path: "absent/keys.sqlite").path
            await #expect(throws: KMSError(.internalFailure, "")) {
                try await SQLiteKeyStore.open(path: path, logger: logger)
            }
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }

    @Test("opening fails for a file that is not a database")
    func notADatabase() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending(path: "keys.sqlite").path
            try Data(repeating: 0x42, count: 4096).write(to: URL(filePath: path))
            await #expect(throws: KMSError(.internalFailure, "")) {
                try await SQLiteKeyStore.open(path: path, logger: logger)
            }
        }
    }

    @Test("opening fails for a database written by a newer schema version, and leaves it unchanged")
    func newerSchemaVersion() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending(path: "keys.sqlite").path
            let (key, version) = TestKeys.make()
            let store = try await SQLiteKeyStore.open(path: path, logger: logger)
            try await store.createKey(key, firstVersion: version)
            try await store.close()

            try DatabaseFile.setUserVersion(99, path: path)
            await #expect(throws: KMSError(.internalFailure, "")) {
                try await SQLiteKeyStore.open(path: path, logger: logger)
            }
            try DatabaseFile.setUserVersion(UInt8(SQLiteSchema.currentVersion), path: path)
            let reopened = try await SQLiteKeyStore.open(path: path, logger: logger)
            let read = try await reopened.key(key.metadata.keyID)
            try await reopened.close()
            #expect(read == key)
        }
    }

    @Test("an existing file keeps its permissions")
    func existingFilePermissions() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending(path: "keys.sqlite").path
            #expect(FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o640]))
            let store = try await SQLiteKeyStore.open(path: path, logger: logger)
            try await store.close()
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o640)
        }
    }
}
