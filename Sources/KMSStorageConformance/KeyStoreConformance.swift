import Foundation
import KMSCore
import KMSStorage
import Testing

/// The behaviour every `KeyStore` implementation must show, as checks that run against any
/// store. A backend's test suite runs every `Check` on a fresh fixture:
///
/// ```swift
/// @Test(arguments: KeyStoreConformance.Check.allCases)
/// func conformance(_ check: KeyStoreConformance.Check) async throws {
///     try await KeyStoreConformance.run(check, fixture: MyFixture())
/// }
/// ```
package enum KeyStoreConformance {
    /// One behaviour of the key store contract.
    package enum Check: String, CaseIterable, Sendable {
        case roundTripsEveryField
        case keepsDatesToTheMicrosecond
        case paginatesInKeyIDOrder
        case missingKeyOrVersionIsNil
        case updatesPolicy
        case rejectsDuplicateKeyID
        case rejectedCreateStoresNothing
        case setsRootKeyVerifierOnce
        case persistsAcrossReopen
        case concurrentCreatesAllLandWhole
        case storesWrappedBytesAsGiven
        case closedStoreRefusesCalls
        case updatesStateAndDescription
        case tagKeyMergesAndReplaces
        case tagKeyRefusesMoreThanMaxTags
        case untagKeyIgnoresUnknownTagKeys
        case createsAliases
        case updatesAliases
        case deletesAliases
        case listsAliasesInNameOrder
        case roundTripsDeletionDateAndRotation
        case schedulesAndCancelsDeletion
        case listsKeysDueForDeletion
        case destroysOnlyDueKeysAndKeepsMetadata
        case setsAndClearsRotation
        case addVersionSwapsOnlyWhenCurrentIsExpected
        case addVersionWithDueByRotatesOnlyWhenDue
        case concurrentAddVersionOneWins
        case listsKeysDueForRotation
        case listsVersionsInPages
        case enablesAndDisablesVersions
        case createsAndReadsGrants
        case rejectsInvalidGrants
        case findsGrantsByName
        case deletesGrants
        case listsGrantsInIDOrder
        case listsRetirableGrants
        case destroyedKeyKeepsGrants
        case conditionalWritesCheckTheStoredState
        case racingStateChangesEndLegal
    }

    /// Runs `check` on stores opened from `fixture`, closing every store it opens.
    package static func run(_ check: Check, fixture: some KeyStoreFixture) async throws {
        if check == .persistsAcrossReopen {
            try await persistsAcrossReopen(fixture)
            return
        }
        if check == .racingStateChangesEndLegal {
            try await racingStateChangesEndLegal(fixture)
            return
        }
        let store = try await fixture.openStore()
        do {
            try await run(check, on: store)
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }

    private static func run(_ check: Check, on store: any KeyStore) async throws {
        switch check {
        case .roundTripsEveryField: try await roundTripsEveryField(store)
        case .keepsDatesToTheMicrosecond: try await keepsDatesToTheMicrosecond(store)
        case .paginatesInKeyIDOrder: try await paginatesInKeyIDOrder(store)
        case .missingKeyOrVersionIsNil: try await missingKeyOrVersionIsNil(store)
        case .updatesPolicy: try await updatesPolicy(store)
        case .rejectsDuplicateKeyID: try await rejectsDuplicateKeyID(store)
        case .rejectedCreateStoresNothing: try await rejectedCreateStoresNothing(store)
        case .setsRootKeyVerifierOnce: try await setsRootKeyVerifierOnce(store)
        case .concurrentCreatesAllLandWhole: try await concurrentCreatesAllLandWhole(store)
        case .storesWrappedBytesAsGiven: try await storesWrappedBytesAsGiven(store)
        case .closedStoreRefusesCalls: try await closedStoreRefusesCalls(store)
        case .updatesStateAndDescription: try await updatesStateAndDescription(store)
        case .tagKeyMergesAndReplaces: try await tagKeyMergesAndReplaces(store)
        case .tagKeyRefusesMoreThanMaxTags: try await tagKeyRefusesMoreThanMaxTags(store)
        case .untagKeyIgnoresUnknownTagKeys: try await untagKeyIgnoresUnknownTagKeys(store)
        case .createsAliases: try await createsAliases(store)
        case .updatesAliases: try await updatesAliases(store)
        case .deletesAliases: try await deletesAliases(store)
        case .listsAliasesInNameOrder: try await listsAliasesInNameOrder(store)
        case .roundTripsDeletionDateAndRotation: try await roundTripsDeletionDateAndRotation(store)
        case .schedulesAndCancelsDeletion: try await schedulesAndCancelsDeletion(store)
        case .listsKeysDueForDeletion: try await listsKeysDueForDeletion(store)
        case .destroysOnlyDueKeysAndKeepsMetadata: try await destroysOnlyDueKeysAndKeepsMetadata(store)
        case .setsAndClearsRotation: try await setsAndClearsRotation(store)
        case .addVersionSwapsOnlyWhenCurrentIsExpected: try await addVersionSwapsOnlyWhenCurrentIsExpected(store)
        case .addVersionWithDueByRotatesOnlyWhenDue: try await addVersionWithDueByRotatesOnlyWhenDue(store)
        case .concurrentAddVersionOneWins: try await concurrentAddVersionOneWins(store)
        case .listsKeysDueForRotation: try await listsKeysDueForRotation(store)
        case .listsVersionsInPages: try await listsVersionsInPages(store)
        case .enablesAndDisablesVersions: try await enablesAndDisablesVersions(store)
        case .createsAndReadsGrants: try await createsAndReadsGrants(store)
        case .rejectsInvalidGrants: try await rejectsInvalidGrants(store)
        case .findsGrantsByName: try await findsGrantsByName(store)
        case .deletesGrants: try await deletesGrants(store)
        case .listsGrantsInIDOrder: try await listsGrantsInIDOrder(store)
        case .conditionalWritesCheckTheStoredState: try await conditionalWritesCheckTheStoredState(store)
        case .listsRetirableGrants: try await listsRetirableGrants(store)
        case .destroyedKeyKeepsGrants: try await destroyedKeyKeepsGrants(store)
        case .persistsAcrossReopen, .racingStateChangesEndLegal: Issue.record("needs a fixture, not a store")
        }
    }

    static func roundTripsEveryField(_ store: any KeyStore) async throws {
        let tagged = TestKeys.make(
            description: "Clé de paiement 🔑 — 支付密钥\nsecond line with 'quotes' and \"double quotes\"",
            state: .disabled,
            tags: ["team": "payments", "größe": "groß 🐘", "empty-value": "", "cost-center": "4711"]
        )
        let untagged = TestKeys.make(description: "")
        for (key, version) in [tagged, untagged] {
            try await store.createKey(key, firstVersion: version)
        }
        for (key, version) in [tagged, untagged] {
            #expect(try await store.key(key.metadata.keyID) == key)
            #expect(try await store.keyVersion(key.metadata.keyID, version: 1) == version)
        }
    }

    static func keepsDatesToTheMicrosecond(_ store: any KeyStore) async throws {
        let now = Date()
        let (key, version) = TestKeys.make()
        var rounded = key
        rounded.metadata.creationDate = now.roundedToMicroseconds
        let (unrounded, unroundedVersion) = TestKeys.make()
        var nowKey = unrounded
        nowKey.metadata.creationDate = now
        try await store.createKey(rounded, firstVersion: version)
        try await store.createKey(nowKey, firstVersion: unroundedVersion)

        #expect(try await store.key(key.metadata.keyID)?.metadata.creationDate == now.roundedToMicroseconds)
        let read = try #require(try await store.key(unrounded.metadata.keyID))
        #expect(abs(read.metadata.creationDate.timeIntervalSince(now)) < 0.000_001)
        #expect(read.metadata.creationDate == now.roundedToMicroseconds)
    }

    static func paginatesInKeyIDOrder(_ store: any KeyStore) async throws {
        #expect(try await store.listKeys(after: nil, limit: 10).isEmpty)
        var created: [KeyID: StoredKey] = [:]
        for index in 0..<25 {
            let (key, version) = TestKeys.make(description: "key \(index)", tags: ["index": "\(index)"])
            try await store.createKey(key, firstVersion: version)
            created[key.metadata.keyID] = key
        }

        var listed: [StoredKey] = []
        var pageSizes: [Int] = []
        var cursor: KeyID?
        repeat {
            let page = try await store.listKeys(after: cursor, limit: 10)
            pageSizes.append(page.count)
            listed += page
            cursor = page.last?.metadata.keyID
        } while pageSizes.last == 10

        #expect(pageSizes == [10, 10, 5])
        let ids = listed.map(\.metadata.keyID)
        #expect(ids.map(\.description) == created.keys.map(\.description).sorted())
        #expect(Set(ids).count == ids.count)
        #expect(listed.allSatisfy { created[$0.metadata.keyID] == $0 })
        #expect(try await store.listKeys(after: ids.last, limit: 10).isEmpty)
        #expect(try await store.listKeys(after: ids[3], limit: 1).map(\.metadata.keyID) == [ids[4]])
        await #expect(throws: KMSError(.validation, "")) { try await store.listKeys(after: nil, limit: 0) }
    }

    static func missingKeyOrVersionIsNil(_ store: any KeyStore) async throws {
        let (key, version) = TestKeys.make()
        try await store.createKey(key, firstVersion: version)
        #expect(try await store.key(KeyID.random()) == nil)
        #expect(try await store.keyVersion(key.metadata.keyID, version: 2) == nil)
        #expect(try await store.keyVersion(KeyID.random(), version: 1) == nil)
    }

    static func updatesPolicy(_ store: any KeyStore) async throws {
        let (key, version) = TestKeys.make(tags: ["team": "payments"])
        try await store.createKey(key, firstVersion: version)
        let newPolicy = #"{"Version":"2012-10-17","Statement":[{"Sid":"Nobody","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*"}]}"#
        #expect(try await store.updatePolicy(key.metadata.keyID, policy: newPolicy, expected: key.policy))

        var expected = key
        expected.policy = newPolicy
        #expect(try await store.key(key.metadata.keyID) == expected)
        // A write that expects the policy it replaced is refused once another write won.
        #expect(try await store.updatePolicy(key.metadata.keyID, policy: "{}", expected: key.policy) == false)
        #expect(try await store.key(key.metadata.keyID) == expected)
        await #expect(throws: KMSError(.keyNotFound, "")) {
            try await store.updatePolicy(KeyID.random(), policy: newPolicy, expected: key.policy)
        }
    }

    static func rejectsDuplicateKeyID(_ store: any KeyStore) async throws {
        let (key, version) = TestKeys.make(description: "original", tags: ["a": "1"])
        try await store.createKey(key, firstVersion: version)
        let (duplicate, duplicateVersion) = TestKeys.make(id: key.metadata.keyID, description: "impostor", tags: ["b": "2"])

        await #expect(throws: KMSError(.validation, "")) {
            try await store.createKey(duplicate, firstVersion: duplicateVersion)
        }
        #expect(try await store.key(key.metadata.keyID) == key)
        #expect(try await store.keyVersion(key.metadata.keyID, version: 1) == version)
    }

    static func rejectedCreateStoresNothing(_ store: any KeyStore) async throws {
        let (key, version) = TestKeys.make()
        let otherKeysVersion = TestKeys.make().version
        let laterVersion = WrappedKeyVersion(
            keyID: key.metadata.keyID, version: 2, wrappedMaterial: version.wrappedMaterial, creationDate: version.creationDate
        )
        var withNUL = key
        withNUL.tags = ["ok": "fine", "bad": "nul\u{0}inside"]

        for (candidate, firstVersion) in [(key, otherKeysVersion), (key, laterVersion), (withNUL, version)] {
            await #expect(throws: KMSError(.validation, "")) {
                try await store.createKey(candidate, firstVersion: firstVersion)
            }
        }
        #expect(try await store.key(key.metadata.keyID) == nil)
        #expect(try await store.keyVersion(key.metadata.keyID, version: 1) == nil)
        #expect(try await store.listKeys(after: nil, limit: 10).isEmpty)
    }

    static func setsRootKeyVerifierOnce(_ store: any KeyStore) async throws {
        #expect(try await store.rootKeyVerifier() == nil)
        await #expect(throws: KMSError(.validation, "")) { try await store.setRootKeyVerifier([]) }
        let verifier = TestKeys.randomBytes(48)
        try await store.setRootKeyVerifier(verifier)
        #expect(try await store.rootKeyVerifier() == verifier)

        await #expect(throws: KMSError(.validation, "")) {
            try await store.setRootKeyVerifier(TestKeys.randomBytes(48))
        }
        #expect(try await store.rootKeyVerifier() == verifier)
    }

    /// Every kind of change made through one store is read back by the next store opened on
    /// the same database.
    static func persistsAcrossReopen(_ fixture: some KeyStoreFixture) async throws {
        let (key, version) = TestKeys.make(description: "before", tags: ["env": "prod", "team": "payments"])
        let (other, otherVersion) = TestKeys.make()
        let (rotated, rotatedVersion) = TestKeys.make(description: "rotated")
        let id = key.metadata.keyID
        let otherID = other.metadata.keyID
        let rotatedID = rotated.metadata.keyID
        let rotatedSecond = TestKeys.version(2, of: rotatedID)
        let schedule = TestKeys.schedule(period: 90, nextInDays: 90)
        let deletionDate = TestKeys.creationDate.addingTimeInterval(30 * TestKeys.day)
        let verifier = TestKeys.randomBytes(32)
        let newPolicy = #"{"Version":"2012-10-17","Statement":[]}"#
        let keptGrant = TestGrants.make(
            on: id, name: "kept", constraints: GrantConstraints(encryptionContextEquals: ["tenant": "a"])
        )
        let deletedGrant = TestGrants.make(on: otherID)
        let first = try await fixture.openStore()
        do {
            try await first.createKey(key, firstVersion: version)
            try await first.createKey(other, firstVersion: otherVersion)
            try await first.setRootKeyVerifier(verifier)
            #expect(try await first.updatePolicy(id, policy: newPolicy, expected: key.policy))
            #expect(try await first.setKeyEnabled(id, enabled: false))
            try await first.updateDescription(id, description: "after")
            try await first.tagKey(id, tags: ["team": "risk", "owner": "alice"], maxTags: 50)
            try await first.untagKey(id, tagKeys: ["env"])
            for name in ["alias/kept", "alias/moved", "alias/deleted"] {
                try await first.createAlias(StoredAlias(name: name, targetKeyID: id))
            }
            #expect(try await first.updateAlias(StoredAlias(name: "alias/moved", targetKeyID: otherID), expectedTarget: id))
            #expect(try await first.deleteAlias(named: "alias/deleted", expectedTarget: id))
            try await first.createKey(rotated, firstVersion: rotatedVersion)
            try await first.setRotation(rotatedID, schedule)
            #expect(try await first.addVersion(rotatedSecond, expectedCurrent: 1, dueBy: nil, nextSchedule: nil))
            try await first.setVersionEnabled(rotatedID, version: 1, enabled: false)
            try await first.scheduleDeletion(rotatedID, deletionDate: deletionDate)
            try await first.createGrant(keptGrant)
            try await first.createGrant(deletedGrant)
            #expect(try await first.deleteGrant(id: deletedGrant.grantID))
        } catch {
            try? await first.close()
            throw error
        }
        try await first.close()

        let second = try await fixture.openStore()
        var expected = key
        expected.policy = newPolicy
        expected.metadata.keyState = .disabled
        expected.metadata.description = "after"
        expected.tags = ["team": "risk", "owner": "alice"]
        var expectedRotated = rotated
        expectedRotated.metadata.keyState = .pendingDeletion
        expectedRotated.metadata.deletionDate = deletionDate
        expectedRotated.metadata.rotation = schedule
        expectedRotated.metadata.currentVersion = 2
        do {
            #expect(try await second.key(rotatedID) == expectedRotated)
            #expect(try await second.keyVersion(rotatedID, version: 1)?.isEnabled == false)
            #expect(try await second.keyVersion(rotatedID, version: 2) == rotatedSecond)
            #expect(try await second.key(id) == expected)
            #expect(try await second.key(otherID) == other)
            #expect(try await second.keyVersion(id, version: 1) == version)
            #expect(try await second.rootKeyVerifier() == verifier)
            #expect(try await second.grants(of: id) == [keptGrant])
            #expect(try await second.grant(token: keptGrant.token) == keptGrant)
            #expect(try await second.grants(of: otherID).isEmpty)
            #expect(
                try await second.listAliases(targetKeyID: nil, after: nil, limit: 10) == [
                    StoredAlias(name: "alias/kept", targetKeyID: id),
                    StoredAlias(name: "alias/moved", targetKeyID: otherID),
                ]
            )
        } catch {
            try? await second.close()
            throw error
        }
        try await second.close()
    }

    /// 50 tasks create keys (each with tags) while others list keys: every key lands, and
    /// no reader ever sees a key without all of its tags and its version.
    static func concurrentCreatesAllLandWhole(_ store: any KeyStore) async throws {
        let tags = ["a": "1", "b": "2", "c": "3"]
        let made = (0..<50).map { TestKeys.make(description: "concurrent \($0)", tags: tags) }
        let partialSightings = try await withThrowingTaskGroup(of: Int.self) { group in
            for (key, version) in made {
                group.addTask {
                    try await store.createKey(key, firstVersion: version)
                    return 0
                }
            }
            for _ in 0..<10 {
                group.addTask {
                    var partial = 0
                    for _ in 0..<5 {
                        for key in try await store.listKeys(after: nil, limit: 100) {
                            let version = try await store.keyVersion(key.metadata.keyID, version: 1)
                            if key.tags != tags || version == nil { partial += 1 }
                        }
                    }
                    return partial
                }
            }
            return try await group.reduce(0, +)
        }

        #expect(partialSightings == 0)
        let listed = try await store.listKeys(after: nil, limit: 100)
        #expect(Set(listed.map(\.metadata.keyID)) == Set(made.map(\.key.metadata.keyID)))
        for (key, version) in made {
            #expect(try await store.key(key.metadata.keyID) == key)
            #expect(try await store.keyVersion(key.metadata.keyID, version: 1) == version)
        }
    }

    static func storesWrappedBytesAsGiven(_ store: any KeyStore) async throws {
        let materials: [[UInt8]] = [
            Array(0...255),
            [0, 0, 0, 1, 0, 0],
            Array(repeating: 0, count: 64),
            TestKeys.randomBytes(4096),
        ]
        for material in materials {
            let (key, version) = TestKeys.make(material: material)
            try await store.createKey(key, firstVersion: version)
            let read = try await store.keyVersion(key.metadata.keyID, version: 1)
            #expect(read?.wrappedMaterial == material)
        }
    }

    static func closedStoreRefusesCalls(_ store: any KeyStore) async throws {
        let (key, version) = TestKeys.make()
        try await store.createKey(key, firstVersion: version)
        try await store.close()

        let id = key.metadata.keyID
        let internalFailure = KMSError(.internalFailure, "")
        await #expect(throws: internalFailure) { try await store.key(id) }
        await #expect(throws: internalFailure) { try await store.listKeys(after: nil, limit: 10) }
        await #expect(throws: internalFailure) { try await store.keyVersion(id, version: 1) }
        await #expect(throws: internalFailure) { try await store.updatePolicy(id, policy: "{}", expected: "") }
        await #expect(throws: internalFailure) { try await store.rootKeyVerifier() }
        await #expect(throws: internalFailure) { try await store.setRootKeyVerifier([1]) }
        let (other, otherVersion) = TestKeys.make()
        await #expect(throws: internalFailure) { try await store.createKey(other, firstVersion: otherVersion) }
        await #expect(throws: internalFailure) { try await store.setKeyEnabled(id, enabled: false) }
        await #expect(throws: internalFailure) { try await store.updateDescription(id, description: "x") }
        await #expect(throws: internalFailure) { try await store.tagKey(id, tags: ["a": "1"], maxTags: 50) }
        await #expect(throws: internalFailure) { try await store.untagKey(id, tagKeys: ["a"]) }
        let alias = StoredAlias(name: "alias/closed", targetKeyID: id)
        await #expect(throws: internalFailure) { try await store.createAlias(alias) }
        await #expect(throws: internalFailure) { try await store.updateAlias(alias, expectedTarget: id) }
        await #expect(throws: internalFailure) { try await store.deleteAlias(named: alias.name, expectedTarget: id) }
        await #expect(throws: internalFailure) { try await store.alias(named: alias.name) }
        await #expect(throws: internalFailure) { try await store.listAliases(targetKeyID: nil, after: nil, limit: 10) }
        let now = TestKeys.creationDate
        await #expect(throws: internalFailure) { try await store.scheduleDeletion(id, deletionDate: now) }
        await #expect(throws: internalFailure) { try await store.cancelDeletion(id) }
        await #expect(throws: internalFailure) { try await store.setRotation(id, TestKeys.schedule(nextInDays: 1)) }
        await #expect(throws: internalFailure) {
            try await store.addVersion(TestKeys.version(2, of: id), expectedCurrent: 1, dueBy: nil, nextSchedule: nil)
        }
        await #expect(throws: internalFailure) { try await store.keysDueForRotation(now: now, limit: 10) }
        await #expect(throws: internalFailure) { try await store.keysDueForDeletion(now: now, limit: 10) }
        await #expect(throws: internalFailure) { try await store.destroyKey(id, now: now) }
        await #expect(throws: internalFailure) { try await store.listVersions(id, after: nil, limit: 10) }
        await #expect(throws: internalFailure) { try await store.setVersionEnabled(id, version: 1, enabled: true) }
        let grant = TestGrants.make(on: id)
        await #expect(throws: internalFailure) { try await store.createGrant(grant) }
        await #expect(throws: internalFailure) { try await store.grants(of: id) }
        await #expect(throws: internalFailure) { try await store.grant(id: grant.grantID) }
        await #expect(throws: internalFailure) { try await store.grant(token: grant.token) }
        await #expect(throws: internalFailure) { try await store.grant(named: "name", keyID: id) }
        await #expect(throws: internalFailure) { try await store.deleteGrant(id: grant.grantID) }
        await #expect(throws: internalFailure) {
            try await store.listGrants(keyID: id, grantID: nil, grantee: nil, after: nil, limit: 10)
        }
        await #expect(throws: internalFailure) {
            try await store.listRetirableGrants(retiringPrincipal: TestGrants.retiring, after: nil, limit: 10)
        }
        try await store.close()
    }
}
