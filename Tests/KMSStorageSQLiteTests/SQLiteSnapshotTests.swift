import Foundation
import KMSCore
import KMSStorage
import KMSStorageConformance
@testable import KMSStorageSQLite
import Logging
import Synchronization
import Testing

/// `SQLiteSnapshot`, what `kmsd backup` and `kmsd restore` use: a snapshot taken while a store
/// keeps writing through its own connection is consistent and complete up to its moment, keeps
/// the schema version and the root key check value, and is an owner-only file a store opens.
@Suite("SQLiteSnapshot")
struct SQLiteSnapshotTests {
    private let logger = Logger(label: "SQLiteSnapshotTests")

    @Test("a snapshot taken while the store writes holds every key committed before it, and opens as a store")
    func snapshotWhileWriting() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending(path: "kms.sqlite").path
            let store = try await SQLiteKeyStore.open(path: path, logger: logger)
            let verifier = TestKeys.randomBytes(53)
            var before: [KeyID] = []
            do {
                try await store.setRootKeyVerifier(verifier)
                for _ in 0..<20 {
                    let (key, version) = TestKeys.make()
                    try await store.createKey(key, firstVersion: version)
                    before.append(key.metadata.keyID)
                }
                // A writer that keeps committing while the snapshot is taken.
                let stop = StopFlag()
                let writer = Task {
                    var written = 0
                    while !stop.isSet {
                        let (key, version) = TestKeys.make()
                        try await store.createKey(key, firstVersion: version)
                        written += 1
                    }
                    return written
                }
                let snapshot = directory.appending(path: "snapshot.sqlite").path
                try await SQLiteSnapshot.write(databasePath: path, to: snapshot, logger: logger)
                stop.set()
                let written = try await writer.value
                let total = try await store.listKeys(after: nil, limit: 1000).count
                #expect(total == 20 + written)

                let summary = try await SQLiteSnapshot.inspect(path: snapshot, logger: logger)
                #expect(summary.schemaVersion == SQLiteSchema.currentVersion)
                #expect(summary.rootKeyVerifier == verifier)
                #expect((20...total).contains(summary.keyCount))
                #expect(try FileManager.default.attributesOfItem(atPath: snapshot)[.posixPermissions] as? Int == 0o600)
                // Reading the snapshot leaves no file beside it.
                #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("snapshot") } == ["snapshot.sqlite"])

                let copy = try await SQLiteKeyStore.open(path: snapshot, logger: logger)
                do {
                    let keys = try await copy.listKeys(after: nil, limit: 1000).map(\.metadata.keyID)
                    #expect(keys.count == summary.keyCount)
                    #expect(Set(before).isSubset(of: Set(keys)))
                    #expect(try await copy.rootKeyVerifier() == verifier)
                } catch {
                    try? await copy.close()
                    throw error
                }
                try await copy.close()
            } catch {
                try? await store.close()
                throw error
            }
            try await store.close()
        }
    }

    @Test("a snapshot never overwrites a file, and a missing database is refused")
    func refusals() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending(path: "kms.sqlite").path
            let existing = directory.appending(path: "existing").path
            #expect(FileManager.default.createFile(atPath: existing, contents: Data("keep".utf8)))
            await #expect(throws: KMSError.self) {
                try await SQLiteSnapshot.write(databasePath: path, to: directory.appending(path: "out").path, logger: logger)
            }
            let store = try await SQLiteKeyStore.open(path: path, logger: logger)
            try await store.close()
            await #expect(throws: KMSError.self) {
                try await SQLiteSnapshot.write(databasePath: path, to: existing, logger: logger)
            }
            #expect(try Data(contentsOf: URL(filePath: existing)) == Data("keep".utf8))
        }
    }

    @Test("key counts of target stores: an empty file holds none, a store its keys, another database is refused")
    func keyCounts() async throws {
        try await withTemporaryDirectory { directory in
            let empty = directory.appending(path: "empty.sqlite").path
            #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
            #expect(try await SQLiteSnapshot.keyCount(ofStoreAt: empty, logger: logger) == 0)

            let path = directory.appending(path: "kms.sqlite").path
            let store = try await SQLiteKeyStore.open(path: path, logger: logger)
            let (key, version) = TestKeys.make()
            try await store.createKey(key, firstVersion: version)
            try await store.close()
            #expect(try await SQLiteSnapshot.keyCount(ofStoreAt: path, logger: logger) == 1)

            let notAStore = directory.appending(path: "other.sqlite").path
            #expect(FileManager.default.createFile(atPath: notAStore, contents: Data("not a database, just text".utf8)))
            await #expect(throws: KMSError.self) { try await SQLiteSnapshot.keyCount(ofStoreAt: notAStore, logger: logger) }
            await #expect(throws: KMSError.self) { try await SQLiteSnapshot.inspect(path: notAStore, logger: logger) }
            await #expect(throws: KMSError.self) { try await SQLiteSnapshot.inspect(path: empty, logger: logger) }
        }
    }

    @Test("file names that mean something in a URI stay part of the path")
    func uriEncoding() async throws {
        #expect(SQLiteSnapshot.uri("/a b/c?mode=rw#x%41.sqlite", ["mode=ro"]) == "file:/a%20b/c%3Fmode%3Drw%23x%2541.sqlite?mode=ro")
        try await withTemporaryDirectory { directory in
            let odd = directory.appending(path: "we?ird #dir%20").path
            try FileManager.default.createDirectory(atPath: odd, withIntermediateDirectories: false)
            let path = (odd as NSString).appendingPathComponent("kms.sqlite")
            let store = try await SQLiteKeyStore.open(path: path, logger: logger)
            try await store.setRootKeyVerifier([1, 2, 3])
            try await store.close()
            let snapshot = (odd as NSString).appendingPathComponent("snap?shot.sqlite")
            try await SQLiteSnapshot.write(databasePath: path, to: snapshot, logger: logger)
            #expect(try await SQLiteSnapshot.inspect(path: snapshot, logger: logger).rootKeyVerifier == [1, 2, 3])
        }
    }
}

/// Tells a loop in another task to stop, without cancelling the task (a cancelled task's
/// database call fails).
final class StopFlag: Sendable {
    private let stopped = Mutex(false)

    func set() { stopped.withLock { $0 = true } }

    var isSet: Bool { stopped.withLock { $0 } }
}
