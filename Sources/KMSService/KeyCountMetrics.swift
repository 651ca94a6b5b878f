import KMSCore
import Metrics

extension KeyManagementService {
    /// How many keys `recordKeyCounts()` reads per store query.
    static let keyCountPageSize = 500

    /// Counts the keys in each state and records them as `kms_keys{state}`; the background
    /// jobs call it, so a scrape never queries the store.
    ///
    /// - Throws: `KMSError` when the store fails (the gauges keep their last values).
    public func recordKeyCounts() async throws(KMSError) {
        var counts = Dictionary(uniqueKeysWithValues: KeyState.allCases.map { ($0, 0) })
        var after: KeyID?
        while true {
            let page = try await storage("count keys") { [after] in try await store.listKeys(after: after, limit: Self.keyCountPageSize) }
            for key in page { counts[key.metadata.keyState, default: 0] += 1 }
            guard page.count == Self.keyCountPageSize, let last = page.last else { break }
            after = last.metadata.keyID
        }
        for (state, count) in counts {
            Gauge(label: "kms_keys", dimensions: [("state", state.rawValue)]).record(count)
        }
    }
}
