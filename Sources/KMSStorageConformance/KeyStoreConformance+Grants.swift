import Foundation
import KMSCore
import KMSStorage
import Testing

/// Conformance checks for grants: permissions for one principal on one key.
extension KeyStoreConformance {
    /// Every field comes back as given, by id, by token and among the key's grants in
    /// creation order (not id order); missing grants read as nil or empty.
    static func createsAndReadsGrants(_ store: any KeyStore) async throws {
        let (key, version) = TestKeys.make()
        try await store.createKey(key, firstVersion: version)
        let id = key.metadata.keyID
        #expect(try await store.grants(of: id).isEmpty)
        let full = TestGrants.make(
            on: id, id: "f" + String(repeating: "0", count: 63), name: "nightly-batch 🌙",
            operations: [.decrypt, .generateDataKey, .retireGrant],
            constraints: GrantConstraints(
                encryptionContextEquals: ["tenant": "größe 🐘", "quote": "it's \"x\"", "empty": ""],
                encryptionContextSubset: ["purpose": "backup/daily"]
            )
        )
        let bare = TestGrants.make(
            on: id, id: "0" + String(repeating: "a", count: 63), retiring: nil, operations: [.describeKey],
            constraints: GrantConstraints(encryptionContextSubset: ["only": "subset"])
        )
        for grant in [full, bare] {
            try await store.createGrant(grant)
            #expect(try await store.grant(id: grant.grantID) == grant)
            #expect(try await store.grant(token: grant.token) == grant)
        }
        #expect(try await store.grants(of: id) == [full, bare])
        #expect(try await store.grant(id: TestGrants.randomID()) == nil)
        #expect(try await store.grant(token: TestGrants.randomToken()) == nil)
        #expect(try await store.grant(id: full.grantID.uppercased()) == nil)
        #expect(try await store.grants(of: KeyID.random()).isEmpty)
        #expect(try await store.key(id) == key)
    }

    /// A grant on a missing key, a duplicate id or token, or text with a NUL is refused and
    /// stores nothing.
    static func rejectsInvalidGrants(_ store: any KeyStore) async throws {
        let (key, version) = TestKeys.make()
        try await store.createKey(key, firstVersion: version)
        let id = key.metadata.keyID
        let existing = TestGrants.make(on: id)
        try await store.createGrant(existing)

        await #expect(throws: KMSError(.keyNotFound, "")) { try await store.createGrant(TestGrants.make(on: KeyID.random())) }
        let sameID = TestGrants.make(on: id, id: existing.grantID, operations: [.encrypt])
        let sameToken = TestGrants.make(on: id, token: existing.token)
        for duplicate in [sameID, sameToken] {
            await #expect(throws: KMSError(.alreadyExists, "")) { try await store.createGrant(duplicate) }
        }
        let withNUL = [
            TestGrants.make(on: id, name: "nul\u{0}inside"),
            TestGrants.make(on: id, grantee: Principal("spiffe://test/nul\u{0}")),
            TestGrants.make(on: id, token: "token\u{0}"),
        ]
        for invalid in withNUL {
            await #expect(throws: KMSError(.validation, "")) { try await store.createGrant(invalid) }
        }
        #expect(try await store.grants(of: id) == [existing])
        #expect(try await store.grant(id: existing.grantID) == existing)
    }

    /// Names find every grant of that key with exactly that name, in creation order.
    static func findsGrantsByName(_ store: any KeyStore) async throws {
        let (key, version) = TestKeys.make()
        let (other, otherVersion) = TestKeys.make()
        try await store.createKey(key, firstVersion: version)
        try await store.createKey(other, firstVersion: otherVersion)
        let id = key.metadata.keyID
        let first = TestGrants.make(on: id, name: "batch")
        let second = TestGrants.make(on: id, name: "batch", operations: [.encrypt])
        let unnamed = TestGrants.make(on: id)
        let otherKeys = TestGrants.make(on: other.metadata.keyID, name: "batch")
        let upperCase = TestGrants.make(on: id, name: "Batch")
        for grant in [first, unnamed, otherKeys, second, upperCase] {
            try await store.createGrant(grant)
        }

        #expect(try await store.grant(named: "batch", keyID: id) == [first, second])
        #expect(try await store.grant(named: "Batch", keyID: id) == [upperCase])
        #expect(try await store.grant(named: "batch", keyID: other.metadata.keyID) == [otherKeys])
        #expect(try await store.grant(named: "missing", keyID: id).isEmpty)
        #expect(try await store.grant(named: "batch", keyID: KeyID.random()).isEmpty)
    }

    /// Deleting a grant removes it everywhere and leaves the others; a second delete finds nothing.
    static func deletesGrants(_ store: any KeyStore) async throws {
        let (key, version) = TestKeys.make()
        try await store.createKey(key, firstVersion: version)
        let id = key.metadata.keyID
        let doomed = TestGrants.make(on: id, name: "doomed")
        let kept = TestGrants.make(on: id)
        try await store.createGrant(doomed)
        try await store.createGrant(kept)

        #expect(try await store.deleteGrant(id: doomed.grantID))
        #expect(try await store.grant(id: doomed.grantID) == nil)
        #expect(try await store.grant(token: doomed.token) == nil)
        #expect(try await store.grant(named: "doomed", keyID: id).isEmpty)
        #expect(try await store.grants(of: id) == [kept])
        #expect(try await store.listRetirableGrants(retiringPrincipal: TestGrants.retiring, after: nil, limit: 10) == [kept])
        #expect(try await store.deleteGrant(id: doomed.grantID) == false)
        #expect(try await store.deleteGrant(id: TestGrants.randomID()) == false)
        #expect(try await store.grant(id: kept.grantID) == kept)
        #expect(try await store.key(id) == key)
    }

    /// Lists a key's grants in pages in grant id order, filtered by grant id and grantee.
    static func listsGrantsInIDOrder(_ store: any KeyStore) async throws {
        let (key, version) = TestKeys.make()
        let (other, otherVersion) = TestKeys.make()
        try await store.createKey(key, firstVersion: version)
        try await store.createKey(other, firstVersion: otherVersion)
        let id = key.metadata.keyID
        #expect(try await store.listGrants(keyID: id, grantID: nil, grantee: nil, after: nil, limit: 10).isEmpty)
        let alice = Principal("spiffe://test/alice")
        let bob = Principal("spiffe://test/bob")
        var grants: [Grant] = []
        for index in 0..<25 {
            let grant = TestGrants.make(on: id, grantee: index.isMultiple(of: 3) ? alice : bob)
            try await store.createGrant(grant)
            grants.append(grant)
        }
        try await store.createGrant(TestGrants.make(on: other.metadata.keyID, grantee: alice))
        let inIDOrder = grants.sorted { $0.grantID < $1.grantID }

        let all = try await listAllGrants(store, keyID: id, grantee: nil, pageSize: 10)
        #expect(all.pageSizes == [10, 10, 5])
        #expect(all.grants == inIDOrder)
        let ofAlice = try await listAllGrants(store, keyID: id, grantee: alice, pageSize: 4)
        #expect(ofAlice.pageSizes == [4, 4, 1])
        #expect(ofAlice.grants == inIDOrder.filter { $0.granteePrincipal == alice })
        #expect(try await listAllGrants(store, keyID: id, grantee: Principal("spiffe://test/ALICE"), pageSize: 4).grants.isEmpty)

        let ids = inIDOrder.map(\.grantID)
        #expect(try await store.listGrants(keyID: id, grantID: ids[7], grantee: nil, after: nil, limit: 10) == [inIDOrder[7]])
        let seventh = try await store.listGrants(keyID: id, grantID: ids[7], grantee: inIDOrder[7].granteePrincipal, after: nil, limit: 10)
        #expect(seventh == [inIDOrder[7]])
        let wrongGrantee = inIDOrder[7].granteePrincipal == alice ? bob : alice
        #expect(try await store.listGrants(keyID: id, grantID: ids[7], grantee: wrongGrantee, after: nil, limit: 10).isEmpty)
        #expect(try await store.listGrants(keyID: other.metadata.keyID, grantID: ids[7], grantee: nil, after: nil, limit: 10).isEmpty)
        #expect(try await store.listGrants(keyID: id, grantID: ids[7], grantee: nil, after: ids[7], limit: 10).isEmpty)
        #expect(try await store.listGrants(keyID: id, grantID: nil, grantee: nil, after: ids[3], limit: 1) == [inIDOrder[4]])
        #expect(try await store.listGrants(keyID: id, grantID: nil, grantee: nil, after: ids[3] + "0", limit: 1) == [inIDOrder[4]])
        #expect(try await store.listGrants(keyID: id, grantID: nil, grantee: nil, after: ids[ids.count - 1], limit: 10).isEmpty)
        #expect(try await store.listGrants(keyID: KeyID.random(), grantID: nil, grantee: nil, after: nil, limit: 10).isEmpty)
        await #expect(throws: KMSError(.validation, "")) {
            try await store.listGrants(keyID: id, grantID: nil, grantee: nil, after: nil, limit: 0)
        }
    }

    /// Lists the grants a principal may retire, across keys, in pages in grant id order.
    static func listsRetirableGrants(_ store: any KeyStore) async throws {
        let keys = (0..<2).map { _ in TestKeys.make() }
        for (key, version) in keys {
            try await store.createKey(key, firstVersion: version)
        }
        let retirer = Principal("spiffe://test/retirer")
        var retirable: [Grant] = []
        for index in 0..<7 {
            let grant = TestGrants.make(on: keys[index % 2].key.metadata.keyID, retiring: retirer)
            try await store.createGrant(grant)
            retirable.append(grant)
        }
        try await store.createGrant(TestGrants.make(on: keys[0].key.metadata.keyID, retiring: nil))
        try await store.createGrant(TestGrants.make(on: keys[0].key.metadata.keyID, grantee: retirer, retiring: TestGrants.retiring))
        let inIDOrder = retirable.sorted { $0.grantID < $1.grantID }

        var listed: [Grant] = []
        var pageSizes: [Int] = []
        var cursor: String?
        repeat {
            let page = try await store.listRetirableGrants(retiringPrincipal: retirer, after: cursor, limit: 3)
            pageSizes.append(page.count)
            listed += page
            cursor = page.last?.grantID
        } while pageSizes.last == 3
        #expect(pageSizes == [3, 3, 1])
        #expect(listed == inIDOrder)
        #expect(try await store.listRetirableGrants(retiringPrincipal: Principal("spiffe://test/nobody"), after: nil, limit: 10).isEmpty)
        #expect(try await store.listRetirableGrants(retiringPrincipal: TestGrants.grantee, after: nil, limit: 10).isEmpty)
        await #expect(throws: KMSError(.validation, "")) {
            try await store.listRetirableGrants(retiringPrincipal: retirer, after: nil, limit: 0)
        }
    }

    /// A destroyed key keeps its grants, and a key in any state can get new ones.
    static func destroyedKeyKeepsGrants(_ store: any KeyStore) async throws {
        let deletionDate = TestKeys.creationDate.addingTimeInterval(7 * TestKeys.day)
        let (key, version) = TestKeys.make(state: .disabled)
        try await store.createKey(key, firstVersion: version)
        let id = key.metadata.keyID
        let first = TestGrants.make(on: id)
        let second = TestGrants.make(on: id)
        try await store.createGrant(first)
        try await store.createGrant(second)
        try await store.scheduleDeletion(id, deletionDate: deletionDate)
        #expect(try await store.destroyKey(id, now: deletionDate))

        #expect(try await store.grants(of: id) == [first, second])
        #expect(try await store.grant(token: second.token) == second)
    }

    /// Lists every grant of a key page by page, as a caller paging through them does.
    private static func listAllGrants(
        _ store: any KeyStore, keyID: KeyID, grantee: Principal?, pageSize: Int
    ) async throws -> (grants: [Grant], pageSizes: [Int]) {
        var grants: [Grant] = []
        var pageSizes: [Int] = []
        var cursor: String?
        repeat {
            let page = try await store.listGrants(keyID: keyID, grantID: nil, grantee: grantee, after: cursor, limit: pageSize)
            pageSizes.append(page.count)
            grants += page
            cursor = page.last?.grantID
        } while pageSizes.last == pageSize
        return (grants, pageSizes)
    }
}
