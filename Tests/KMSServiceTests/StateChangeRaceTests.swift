import Foundation
import KMSCore
import KMSPolicy
import KMSService
import KMSStorage
import KMSStorageSQLite
import Logging
import Testing

/// State changes racing through two service instances (two nodes, each with its own store
/// connection and caches) on one database file: every end state is legal, and every call
/// that succeeded describes a transition that really happened.
@Suite struct StateChangeRaceTests {
    let admin = ServiceFixture.admin
    let alice = ServiceFixture.alice
    let bob = ServiceFixture.bob

    /// A second node: its own connection to the fixture's database file and its own caches.
    static func withSecondNode(_ fixture: ServiceFixture, _ body: (KeyManagementService) async throws -> Void) async throws {
        let store = try await SQLiteKeyStore.open(
            path: fixture.directory.appendingPathComponent("kms.sqlite").path, logger: Logger(label: "second-node")
        )
        let clock = fixture.clock
        let node = KeyManagementService(
            store: store, rootKey: fixture.rootKey, serverPolicy: try CompiledPolicy.compile(ServiceFixture.serverPolicy),
            clock: { clock.now }
        )
        do {
            try await body(node)
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }

    @Test func enableDisableDeletionAndDestructionRacesEndLegal() async throws {
        try await withService { fixture in
            try await Self.withSecondNode(fixture) { second in
                let first = fixture.service
                for round in 0..<200 {
                    try await race(round: round, fixture: fixture, first: first, second: second)
                }
            }
        }
    }

    private func race(round: Int, fixture: ServiceFixture, first: KeyManagementService, second: KeyManagementService) async throws {
        let keyID = try await fixture.createKey().description
        if round.isMultiple(of: 2) { try await first.disableKey(keyID: keyID, context: admin) }
        // Both nodes have the key cached, as busy nodes do.
        _ = try await first.describeKey(keyID: keyID, context: admin)
        _ = try await second.describeKey(keyID: keyID, context: admin)
        let afterWindow = fixture.clock.now.addingTimeInterval(8 * 86_400)
        let admin = admin

        async let enabled = errorCode { try await first.enableKey(keyID: keyID, context: admin) }
        async let disabled = errorCode { try await second.disableKey(keyID: keyID, context: admin) }
        async let scheduled = errorCode { try await second.scheduleKeyDeletion(keyID: keyID, pendingWindowInDays: 7, context: admin) }
        async let cancelled = errorCode { try await first.cancelKeyDeletion(keyID: keyID, context: admin) }
        async let job = first.runDueWork(now: afterWindow)
        let results = await (enabled: enabled, disabled: disabled, scheduled: scheduled, cancelled: cancelled)
        let didDestroy = try await job.destroyed.contains { $0.description == keyID }

        for result in [results.enabled, results.disabled] {
            #expect(result == nil || result == .keyPendingDeletion || result == .keyDestroyed, "round \(round): \(String(describing: result))")
        }
        for result in [results.scheduled, results.cancelled] {
            #expect(result == nil || result == .invalidState, "round \(round): \(String(describing: result))")
        }
        guard let stored = try await fixture.store.key(#require(KeyID(string: keyID))) else {
            Issue.record("round \(round): the key is gone")
            return
        }
        let state = stored.metadata.keyState
        let didSchedule = results.scheduled == nil
        let didCancel = results.cancelled == nil
        #expect((stored.metadata.deletionDate != nil) == (state == .pendingDeletion || state == .destroyed), "round \(round): \(state)")
        #expect(didDestroy == (state == .destroyed), "round \(round): destroyed \(didDestroy), state \(state)")
        if didDestroy { #expect(didSchedule && !didCancel, "round \(round)") }
        if didCancel { #expect(didSchedule, "round \(round)") }
        if state == .pendingDeletion { #expect(didSchedule && !didCancel, "round \(round)") }
        if state == .enabled || state == .disabled { #expect(didSchedule == didCancel, "round \(round): \(state)") }
        if state == .enabled { #expect(results.enabled == nil, "round \(round)") }
        if state == .destroyed {
            // Nothing leaves DESTROYED, through either node.
            #expect(await errorCode { try await second.enableKey(keyID: keyID, context: admin) } == .keyDestroyed)
            #expect(await errorCode { try await first.cancelKeyDeletion(keyID: keyID, context: admin) } == .invalidState)
            #expect(try await fixture.store.key(#require(KeyID(string: keyID)))?.metadata.keyState == .destroyed)
        }
    }

    /// A key policy letting `principals` manage it.
    static func policy(allowing principals: [Principal]) -> String {
        let list = principals.map { "\"\($0.name)\"" }.joined(separator: ",")
        return """
        {"Statement": [
          {"Sid": "Admin", "Effect": "Allow", "Principal": "spiffe://test.example/admin", "Action": "kms:*", "Resource": "*"},
          {"Sid": "Managers", "Effect": "Allow", "Principal": [\(list)], "Action": "kms:PutKeyPolicy", "Resource": "*"}
        ]}
        """
    }

    @Test func racingPolicyChangesAreDecidedUnderThePolicyThatWon() async throws {
        try await withService { fixture in
            try await Self.withSecondNode(fixture) { second in
                for round in 0..<50 {
                    let keyID = try await fixture.createKey(policy: Self.policy(allowing: [alice.principal, bob.principal])).description
                    _ = try await fixture.service.describeKey(keyID: keyID, context: admin)
                    _ = try await second.describeKey(keyID: keyID, context: admin)
                    // Each takes the other's right away.
                    let alicesPolicy = Self.policy(allowing: [alice.principal])
                    let bobsPolicy = Self.policy(allowing: [bob.principal])
                    let (alice, bob) = (alice, bob)
                    async let byAlice = errorCode { try await fixture.service.putKeyPolicy(keyID: keyID, policy: alicesPolicy, context: alice) }
                    async let byBob = errorCode { try await second.putKeyPolicy(keyID: keyID, policy: bobsPolicy, context: bob) }
                    let (aliceResult, bobResult) = await (byAlice, byBob)
                    let stored = try await fixture.store.key(#require(KeyID(string: keyID)))?.policy
                    // Exactly one wins; the other is decided again under the winner's policy.
                    #expect([aliceResult, bobResult].filter { $0 == nil }.count == 1, "round \(round)")
                    #expect([aliceResult, bobResult].contains(.accessDenied), "round \(round)")
                    #expect(stored == (aliceResult == nil ? alicesPolicy : bobsPolicy), "round \(round)")
                }
            }
        }
    }

    @Test func racingAliasMovesAreAuthorizedOnTheTargetThatWon() async throws {
        try await withService { fixture in
            try await Self.withSecondNode(fixture) { second in
                // Alice manages the aliases of the keys she owns; the admin moves one to a key of its own.
                let alicesPolicy = """
                {"Statement": [
                  {"Sid": "Admin", "Effect": "Allow", "Principal": "spiffe://test.example/admin", "Action": "kms:*", "Resource": "*"},
                  {"Sid": "Alice", "Effect": "Allow", "Principal": "spiffe://test.example/ns/app/alice", "Action": "kms:UpdateAlias", "Resource": "*"}
                ]}
                """
                let alicesFirst = try await fixture.createKey(policy: alicesPolicy).description
                let alicesSecond = try await fixture.createKey(policy: alicesPolicy).description
                let adminsKey = try await fixture.adminOnlyKey()
                for round in 0..<50 {
                    let name = "alias/race-\(round)"
                    try await fixture.service.createAlias(name: name, targetKeyID: alicesFirst, context: admin)
                    let (admin, alice) = (admin, alice)
                    async let byAdmin = errorCode { try await second.updateAlias(name: name, targetKeyID: adminsKey, context: admin) }
                    async let byAlice = errorCode { try await fixture.service.updateAlias(name: name, targetKeyID: alicesSecond, context: alice) }
                    let (adminResult, aliceResult) = await (byAdmin, byAlice)
                    #expect(adminResult == nil, "round \(round)")
                    let target = try await fixture.store.alias(named: name)?.targetKeyID.description
                    // Alice may have moved it first (then the admin moved it on), but never away
                    // from the admin's key, which she may not touch.
                    #expect(aliceResult == nil || aliceResult == .accessDenied, "round \(round)")
                    #expect(target == adminsKey, "round \(round)")
                }
            }
        }
    }
}
