import Foundation
import KMSCore
import KMSStorage
import Testing

/// Conformance checks of the conditional-write contract: every write that is legal only in
/// some states checks the stored state in its own transaction, and a write that loses a
/// race gets the error it would have got had it arrived second.
extension KeyStoreConformance {
    static func conditionalWritesCheckTheStoredState(_ store: any KeyStore) async throws {
        let (pending, pendingVersion) = TestKeys.make(description: "pending")
        let (destroyed, destroyedVersion) = TestKeys.make(description: "destroyed")
        let (enabled, enabledVersion) = TestKeys.make(description: "enabled")
        for (key, version) in [(pending, pendingVersion), (destroyed, destroyedVersion), (enabled, enabledVersion)] {
            try await store.createKey(key, firstVersion: version)
        }
        let deletionDate = TestKeys.creationDate.addingTimeInterval(7 * TestKeys.day)
        try await store.scheduleDeletion(pending.metadata.keyID, deletionDate: deletionDate)
        try await store.scheduleDeletion(destroyed.metadata.keyID, deletionDate: deletionDate)
        #expect(try await store.destroyKey(destroyed.metadata.keyID, now: deletionDate))
        let pendingBefore = try await store.key(pending.metadata.keyID)
        let destroyedBefore = try await store.key(destroyed.metadata.keyID)
        let schedule = TestKeys.schedule(nextInDays: 30)

        for (id, code) in [(pending.metadata.keyID, KMSError.Code.keyPendingDeletion), (destroyed.metadata.keyID, .keyDestroyed)] {
            for enabled in [true, false] {
                await #expect(throws: KMSError(code, "")) { try await store.setKeyEnabled(id, enabled: enabled) }
            }
            await #expect(throws: KMSError(code, "")) { try await store.createGrant(TestGrants.make(on: id)) }
            await #expect(throws: KMSError(.invalidState, "")) { try await store.setRotation(id, schedule) }
            await #expect(throws: KMSError(.invalidState, "")) { try await store.scheduleDeletion(id, deletionDate: deletionDate) }
            #expect(try await store.addVersion(TestKeys.version(2, of: id), expectedCurrent: 1, dueBy: nil, nextSchedule: nil) == false)
            // Turning automatic rotation off is always allowed.
            try await store.setRotation(id, nil)
        }
        await #expect(throws: KMSError(.keyDestroyed, "")) {
            try await store.setVersionEnabled(destroyed.metadata.keyID, version: 1, enabled: true)
        }
        await #expect(throws: KMSError(.invalidState, "")) { try await store.cancelDeletion(destroyed.metadata.keyID) }
        await #expect(throws: KMSError(.invalidState, "")) { try await store.cancelDeletion(enabled.metadata.keyID) }
        #expect(try await store.key(pending.metadata.keyID) == pendingBefore)
        #expect(try await store.key(destroyed.metadata.keyID) == destroyedBefore)
        #expect(try await store.grants(of: pending.metadata.keyID).isEmpty)
        #expect(try await store.key(enabled.metadata.keyID) == enabled)
    }

    /// Two stores on one database (two nodes) race enable, disable, schedule, cancel and
    /// destruction on fresh keys, round after round: every end state is legal, nothing leaves
    /// `destroyed`, and every write that reported a change describes one that happened.
    static func racingStateChangesEndLegal(_ fixture: some KeyStoreFixture) async throws {
        let first = try await fixture.openStore()
        let second: any KeyStore
        do {
            second = try await fixture.openStore()
        } catch {
            try? await first.close()
            throw error
        }
        do {
            for round in 0..<50 {
                try await raceStateChanges(round: round, first, second)
            }
        } catch {
            try? await first.close()
            try? await second.close()
            throw error
        }
        try await first.close()
        try await second.close()
    }

    private static func raceStateChanges(round: Int, _ first: any KeyStore, _ second: any KeyStore) async throws {
        let (key, version) = TestKeys.make(state: round.isMultiple(of: 2) ? .enabled : .disabled)
        try await first.createKey(key, firstVersion: version)
        let id = key.metadata.keyID
        let deletionDate = TestKeys.creationDate.addingTimeInterval(7 * TestKeys.day)
        let destroyTime = deletionDate.addingTimeInterval(TestKeys.day)

        async let enabled = outcome { try await first.setKeyEnabled(id, enabled: true) }
        async let disabled = outcome { try await second.setKeyEnabled(id, enabled: false) }
        async let scheduled = outcome { try await second.scheduleDeletion(id, deletionDate: deletionDate); return true }
        async let cancelled = outcome { try await first.cancelDeletion(id); return true }
        async let destroyed = outcome { try await second.destroyKey(id, now: destroyTime) }
        let results = await (enabled: enabled, disabled: disabled, scheduled: scheduled, cancelled: cancelled, destroyed: destroyed)

        for result in [results.enabled, results.disabled] {
            if case .failure(let error) = result {
                #expect([KMSError.Code.keyPendingDeletion, .keyDestroyed].contains(error.code), "round \(round): \(error)")
            }
        }
        for result in [results.scheduled, results.cancelled] {
            if case .failure(let error) = result { #expect(error.code == KMSError.Code.invalidState, "round \(round): \(error)") }
        }
        guard let stored = try await first.key(id) else {
            Issue.record("round \(round): the key is gone")
            return
        }
        let state = stored.metadata.keyState
        let didSchedule = results.scheduled.changed
        let didCancel = results.cancelled.changed
        let didDestroy = results.destroyed.changed
        // A deletion date exactly while pending deletion or destroyed.
        #expect((stored.metadata.deletionDate != nil) == (state == .pendingDeletion || state == .destroyed), "round \(round): \(state)")
        // Nothing leaves DESTROYED, and only a scheduled deletion leads there.
        #expect(didDestroy == (state == .destroyed), "round \(round): destroyed \(didDestroy), state \(state)")
        if didDestroy {
            #expect(didSchedule && !didCancel, "round \(round)")
            #expect(try await first.listVersions(id, after: nil, limit: 10).isEmpty, "round \(round)")
        }
        // Cancel succeeds only after a schedule; a schedule that stuck was not cancelled.
        if didCancel { #expect(didSchedule, "round \(round)") }
        if state == .pendingDeletion { #expect(didSchedule && !didCancel && !didDestroy, "round \(round)") }
        if state == .enabled || state == .disabled { #expect(didSchedule == didCancel, "round \(round)") }
        // The last enable/disable that changed something is not contradicted by a later
        // cancel (which leaves the key disabled) unless another call changed it after.
        if state == .enabled { #expect(results.enabled.changed, "round \(round)") }
    }

    /// The outcome of one racing write: whether it changed something, or its error.
    private static func outcome(_ write: () async throws -> Bool) async -> Result<Bool, KMSError> {
        do {
            return .success(try await write())
        } catch let error as KMSError {
            return .failure(error)
        } catch {
            return .failure(KMSError(.internalFailure, "\(error)"))
        }
    }
}

extension Result<Bool, KMSError> {
    /// Whether the write succeeded and reported a change.
    fileprivate var changed: Bool { (try? get()) == true }
}
