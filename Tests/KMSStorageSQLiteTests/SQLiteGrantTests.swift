import Foundation
import KMSCore
@testable import KMSStorageSQLite
import KMSStorage
import KMSStorageConformance
import Logging
import Testing

/// Grant behaviour that needs SQL access to set up: the per-key limit and the cascade.
@Suite("SQLiteKeyStore grants")
struct SQLiteGrantTests {
    private let logger = Logger(label: "KMSStorageTests")

    @Test("a key takes grants up to Limits.maxGrantsPerKey and refuses the next; other keys are unaffected")
    func grantLimitPerKey() async throws {
        try await withStore { store in
            let (key, version) = TestKeys.make()
            let (other, otherVersion) = TestKeys.make()
            try await store.createKey(key, firstVersion: version)
            try await store.createKey(other, firstVersion: otherVersion)
            let id = key.metadata.keyID
            try await Self.insertFillerGrants(Limits.maxGrantsPerKey - 1, on: id, into: store)

            let last = TestGrants.make(on: id)
            try await store.createGrant(last)
            let refused = TestGrants.make(on: id)
            await #expect(throws: KMSError(.limitExceeded, "")) { try await store.createGrant(refused) }
            #expect(try await store.grant(id: refused.grantID) == nil)
            #expect(try await store.grants(of: id).count == Limits.maxGrantsPerKey)
            #expect(try await store.grants(of: id).last == last)
            try await store.createGrant(TestGrants.make(on: other.metadata.keyID))

            #expect(try await store.deleteGrant(id: last.grantID))
            try await store.createGrant(refused)
            #expect(try await store.grant(id: refused.grantID) == refused)
        }
    }

    @Test("deleting a key's row deletes its grants and nothing else")
    func grantsCascadeWithTheirKey() async throws {
        try await withStore { store in
            let (key, version) = TestKeys.make()
            let (other, otherVersion) = TestKeys.make()
            try await store.createKey(key, firstVersion: version)
            try await store.createKey(other, firstVersion: otherVersion)
            let doomed = TestGrants.make(on: key.metadata.keyID)
            let kept = TestGrants.make(on: other.metadata.keyID)
            try await store.createGrant(doomed)
            try await store.createGrant(kept)

            try await store.connection.withSession("delete a key row") { session async throws(KMSError) in
                try await session.execute("DELETE FROM keys WHERE key_id = ?", [.text(key.metadata.keyID.description)])
            }
            #expect(try await store.grant(id: doomed.grantID) == nil)
            #expect(try await store.grants(of: key.metadata.keyID).isEmpty)
            #expect(try await store.grants(of: other.metadata.keyID) == [kept])
        }
    }

    /// Runs `body` on a store on a fresh database, closing it afterwards.
    private func withStore(_ body: (SQLiteKeyStore) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            let store = try await SQLiteKeyStore.open(path: directory.appending(path: "keys.sqlite").path, logger: logger)
            do {
                try await body(store)
            } catch {
                try? await store.close()
                throw error
            }
            try await store.close()
        }
    }

    /// Inserts `count` grants on `keyID` with one statement, far faster than `createGrant`
    /// one at a time.
    private static func insertFillerGrants(_ count: Int, on keyID: KeyID, into store: SQLiteKeyStore) async throws {
        try await store.connection.withTransaction("insert filler grants") { session async throws(KMSError) in
            try await session.execute(
                """
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
                INSERT INTO grants (grant_id, key_id, creation_date, grantee_principal, issuing_principal,
                                    operations, context_equals, context_subset, token)
                SELECT printf('filler-%06d', i), ?1, 0, 'spiffe://test/filler', 'spiffe://test/owner',
                       '["kms:Decrypt"]', '{}', '{}', printf('filler-token-%06d', i)
                FROM n
                """,
                [.text(keyID.description), .integer(count)]
            )
        }
    }
}
