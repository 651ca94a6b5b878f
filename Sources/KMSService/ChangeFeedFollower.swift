import KMSCore
import KMSStorage

extension KeyManagementService {
    /// How many feed entries one read fetches.
    static let changeFeedBatch = 1000

    /// Follows the store's change feed until cancelled: every `interval`, reads the changes
    /// other nodes committed, drops the cached keys and aliases they name, and confirms the
    /// node's freshness up to the moment the read started. A failed read is logged and
    /// retried at the next interval; meanwhile the confirmation ages and, past the staleness
    /// bound, the node refuses calls with `STORE_UNAVAILABLE` (and recovers by itself).
    ///
    /// Does nothing for a store that is not shared.
    public func followChanges(every interval: Duration) async {
        guard store.isShared else { return }
        var last: Int64?
        while !Task.isCancelled {
            let started = ContinuousClock.Instant.now
            do {
                if let known = last {
                    last = try await applyChanges(after: known)
                } else {
                    // Start from the newest change: nothing is cached yet.
                    last = try await store.latestChangeSequence()
                    cache.invalidateAll()
                    aliasCache.invalidateAll()
                }
                freshness.confirm(upTo: started)
            } catch {
                logger.warning("could not read the key store's change feed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(until: started + interval)
        }
    }

    /// Applies every change after `sequence` to the caches.
    ///
    /// - Returns: The sequence of the last change applied.
    private func applyChanges(after sequence: Int64) async throws(KMSError) -> Int64 {
        var last = sequence
        while true {
            let batch = try await store.changes(after: last, limit: Self.changeFeedBatch)
            for change in batch {
                if let key = change.keyID { cache.invalidate(key) }
                if let alias = change.alias { aliasCache.invalidate(alias) }
                last = change.sequence
            }
            if batch.count < Self.changeFeedBatch { return last }
        }
    }
}
