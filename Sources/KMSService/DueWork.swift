import Foundation
import KMSCore
import KMSStorage

/// What one run of `runDueWork` did.
public struct DueWorkReport: Sendable, Equatable {
    /// Keys this run rotated.
    public var rotated: [KeyID]
    /// Keys whose material this run destroyed.
    public var destroyed: [KeyID]

    /// Creates a report.
    public init(rotated: [KeyID] = [], destroyed: [KeyID] = []) {
        self.rotated = rotated
        self.destroyed = destroyed
    }
}

extension KeyManagementService {
    /// Does the background work that is due at `now`: rotates every enabled key whose
    /// rotation date has come (type `.automatic`, next date `now` plus the period) and
    /// destroys the material of every key whose pending-deletion window has ended.
    ///
    /// The time is passed in, so tests move time instead of sleeping. Several nodes may
    /// run this at once: the store's compare-and-swap lets one of them rotate a key per
    /// period and destroy it once. A key whose work fails is logged and skipped; the
    /// others are still done.
    ///
    /// - Returns: The keys this run rotated and destroyed.
    /// - Throws: `.internalFailure` when the store cannot list the due keys.
    /// Each change is recorded through `audit`: an intent record before it is committed and
    /// an outcome record after.
    public func runDueWork(now: Date, audit: BackgroundJobAudit = .none) async throws(KMSError) -> DueWorkReport {
        let rotated = try await forEachDueKey("rotation") { (limit: Int) async throws(KMSError) in
            try await storage("find keys due for rotation") { try await store.keysDueForRotation(now: now, limit: limit) }
        } perform: { (id: KeyID) async throws(KMSError) in
            try await audit.recording(.rotation, on: id) { (facts) async throws(KMSError) -> Bool in
                try await rotateIfDue(id, now: now, audit: facts)
            }
        }
        let destroyed = try await forEachDueKey("destruction") { (limit: Int) async throws(KMSError) in
            try await storage("find keys due for deletion") { try await store.keysDueForDeletion(now: now, limit: limit) }
        } perform: { (id: KeyID) async throws(KMSError) in
            try await audit.recording(.destruction, on: id) { (facts) async throws(KMSError) -> Bool in
                try await destroyIfDue(id, now: now, audit: facts)
            }
        }
        return DueWorkReport(rotated: rotated, destroyed: destroyed)
    }

    /// How many due keys one store query returns.
    static let dueWorkBatchSize = 100

    /// Runs `perform` once on each key that `find` reports due, batch after batch, until a
    /// batch brings no key not seen before.
    ///
    /// - Returns: The keys for which `perform` returned true.
    private func forEachDueKey(
        _ work: String,
        find: (Int) async throws(KMSError) -> [KeyID],
        perform: (KeyID) async throws(KMSError) -> Bool
    ) async throws(KMSError) -> [KeyID] {
        var done: [KeyID] = []
        var seen: Set<KeyID> = []
        while true {
            let batch = try await find(Self.dueWorkBatchSize)
            let fresh = batch.filter { seen.insert($0).inserted }
            for id in fresh {
                do {
                    if try await perform(id) { done.append(id) }
                } catch {
                    logger.error("background key \(work) failed", metadata: ["key_id": "\(id)", "error": "\(error)"])
                }
            }
            if fresh.isEmpty || batch.count < Self.dueWorkBatchSize { return done }
        }
    }

    /// Rotates a key if it is still enabled and due at `now` (another node may have been first).
    private func rotateIfDue(_ id: KeyID, now: Date, audit: AuditFacts) async throws(KMSError) -> Bool {
        // Read the store, not the cache: the compare-and-swap needs the latest current version.
        guard let stored = try await storage("read key to rotate", { try await store.key(id) }),
              stored.metadata.keyState == .enabled, let schedule = stored.metadata.rotation
        else { return false }
        let next = RotationSchedule(periodInDays: schedule.periodInDays, nextRotationDate: now.adding(days: schedule.periodInDays))
        let rotated = try await addNextVersion(
            to: stored.metadata, type: .automatic, now: now, dueBy: now, nextSchedule: next, audit: audit
        )
        if rotated {
            audit.noteVersion(stored.metadata.currentVersion + 1, of: id)
            logger.info("key rotated automatically", metadata: [
                "key_id": "\(id)", "version": "\(stored.metadata.currentVersion + 1)", "next_rotation": "\(next.nextRotationDate)",
            ])
        }
        return rotated
    }

    /// Destroys a key's material if its deletion is still due at `now`, and drops any
    /// cached copy of it.
    private func destroyIfDue(_ id: KeyID, now: Date, audit: AuditFacts) async throws(KMSError) -> Bool {
        try await audit.recordIntent()
        let destroyed = try await storage("destroy key") { try await store.destroyKey(id, now: now) }
        cache.invalidate(id)
        if destroyed { logger.notice("key material destroyed", metadata: ["key_id": "\(id)"]) }
        return destroyed
    }
}
