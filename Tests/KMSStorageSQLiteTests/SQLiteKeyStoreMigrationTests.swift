import Foundation
import KMSCore
@testable import KMSStorageSQLite
import KMSStorage
import KMSStorageConformance
import Logging
import Testing

@Suite("SQLiteKeyStore schema migrations")
struct SQLiteKeyStoreMigrationTests {
    private let logger = Logger(label: "KMSStorageTests")

    @Test(
        "an older database migrates on open, keeps everything, starts without deletion dates, rotation or grants, and gains the newer calls",
        arguments: [1, 2, 3]
    )
    func migrates(from oldVersion: Int) async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending(path: "keys.sqlite").path
            let (key, version) = TestKeys.make(state: .disabled, tags: ["env": "prod", "quote": "it's"])
            let id = key.metadata.keyID
            let verifier = TestKeys.randomBytes(32)
            let early = StoredAlias(name: "alias/early", targetKeyID: id)
            let old = try await SQLiteKeyStore.open(path: path, logger: logger, schemaVersion: oldVersion)
            do {
                try await LegacyRows.insert(key, version, into: old)
                try await old.setRootKeyVerifier(verifier)
                if oldVersion >= 2 { try await old.createAlias(early) }
            } catch {
                try? await old.close()
                throw error
            }
            try await old.close()
            #expect(try DatabaseFile.userVersion(path) == oldVersion)

            let late = StoredAlias(name: "alias/late", targetKeyID: id)
            let schedule = TestKeys.schedule(period: 90, nextInDays: 90)
            let deletionDate = TestKeys.creationDate.addingTimeInterval(30 * TestKeys.day)
            let second = TestKeys.version(2, of: id)
            let grant = TestGrants.make(on: id, name: "after-migration")
            let store = try await SQLiteKeyStore.open(path: path, logger: logger)
            do {
                #expect(try await store.key(id) == key)
                let migrated = try await store.keyVersion(id, version: 1)
                #expect(migrated == version)
                #expect(migrated?.rotationType == .creation)
                #expect(migrated?.isEnabled == true)
                #expect(try await store.rootKeyVerifier() == verifier)
                #expect(try await store.grants(of: id).isEmpty)
                try await store.createGrant(grant)
                try await store.createAlias(late)
                #expect(try await store.setKeyEnabled(id, enabled: true) == (key.metadata.keyState != .enabled))
                try await store.setRotation(id, schedule)
                #expect(try await store.addVersion(second, expectedCurrent: 1, dueBy: nil, nextSchedule: nil))
                try await store.setVersionEnabled(id, version: 1, enabled: false)
                try await store.scheduleDeletion(id, deletionDate: deletionDate)
            } catch {
                try? await store.close()
                throw error
            }
            try await store.close()
            #expect(try DatabaseFile.userVersion(path) == SQLiteSchema.currentVersion)

            var expected = key
            expected.metadata.keyState = .pendingDeletion
            expected.metadata.deletionDate = deletionDate
            expected.metadata.rotation = schedule
            expected.metadata.currentVersion = 2
            let reopened = try await SQLiteKeyStore.open(path: path, logger: logger)
            do {
                #expect(try await reopened.key(id) == expected)
                #expect(try await reopened.keyVersion(id, version: 1)?.isEnabled == false)
                #expect(try await reopened.keyVersion(id, version: 2) == second)
                let aliases = try await reopened.listAliases(targetKeyID: id, after: nil, limit: 10)
                #expect(aliases == (oldVersion >= 2 ? [early, late] : [late]))
                #expect(try await reopened.grants(of: id) == [grant])
                #expect(try await reopened.grant(named: "after-migration", keyID: id) == [grant])
            } catch {
                try? await reopened.close()
                throw error
            }
            try await reopened.close()
        }
    }
}

/// Writes a key's rows as schema versions 1 to 3 (and the code that used them) did, with
/// SQL literals: the current code's `createKey` needs the current schema.
private enum LegacyRows {
    static func insert(_ key: StoredKey, _ version: WrappedKeyVersion, into store: SQLiteKeyStore) async throws {
        let metadata = key.metadata
        let created = try #require(metadata.creationDate.microsecondsSince1970)
        let versionCreated = try #require(version.creationDate.microsecondsSince1970)
        let material = version.wrappedMaterial.map { String(format: "%02X", $0) }.joined()
        let statements = [
            """
            INSERT INTO keys (key_id, description, key_spec, key_usage, key_state, creation_date, current_version,
                              creator, policy)
            VALUES (\(quoted(metadata.keyID.description)), \(quoted(metadata.description)),
                    \(quoted(metadata.keySpec.rawValue)), \(quoted(metadata.keyUsage.rawValue)),
                    \(quoted(metadata.keyState.rawValue)), \(created), \(metadata.currentVersion),
                    \(quoted(metadata.creator.name)), \(quoted(key.policy)))
            """,
            """
            INSERT INTO key_versions (key_id, version, wrapped_material, creation_date)
            VALUES (\(quoted(version.keyID.description)), \(version.version), X'\(material)', \(versionCreated))
            """,
        ] + key.tags.map { tag in
            "INSERT INTO key_tags (key_id, tag_key, tag_value) VALUES (\(quoted(metadata.keyID.description)), \(quoted(tag.key)), \(quoted(tag.value)))"
        }
        try await store.connection.withTransaction("write rows as schema versions 1 to 3 did") { session async throws(KMSError) in
            for statement in statements {
                try await session.execute(statement)
            }
        }
    }

    /// An SQL string literal.
    private static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
