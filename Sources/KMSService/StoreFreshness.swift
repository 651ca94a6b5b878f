import KMSCore
import Synchronization

/// Whether this node may serve from its caches: true while it confirmed, within the
/// staleness bound, that it has applied every change other nodes committed to the shared
/// store (a change-feed read that started less than `maxStaleness` ago succeeded).
///
/// A change committed before that read started is applied on this node, so a change made
/// through any node is in force here within `maxStaleness` of its commit. When the
/// confirmation is older, the node fails closed: calls get `STORE_UNAVAILABLE` until a read
/// of the feed succeeds again. A store that is not shared is always fresh.
public final class StoreFreshness: Sendable {
    /// The staleness bound; `nil` for a store no other node changes (always fresh).
    public let maxStaleness: Duration?
    private let confirmedAt = Mutex<ContinuousClock.Instant?>(nil)

    /// A freshness that is always confirmed: for a store that no other node changes.
    public static func alwaysFresh() -> StoreFreshness {
        StoreFreshness(maxStaleness: nil)
    }

    /// - Parameter maxStaleness: The bound; `nil` means always fresh. Otherwise the node
    ///   starts unconfirmed and must confirm within the bound before it serves.
    public init(maxStaleness: Duration?) {
        self.maxStaleness = maxStaleness
    }

    /// Records that every change committed before `instant` has been applied.
    func confirm(upTo instant: ContinuousClock.Instant) {
        confirmedAt.withLock { current in
            if current.map({ $0 < instant }) ?? true { current = instant }
        }
    }

    /// Whether the caches are known current within the bound.
    public var isFresh: Bool {
        guard let maxStaleness else { return true }
        guard let confirmed = confirmedAt.withLock({ $0 }) else { return false }
        return ContinuousClock.Instant.now - confirmed < maxStaleness
    }

    /// Checks that the node may serve.
    ///
    /// - Throws: `.storeUnavailable`.
    func requireFresh() throws(KMSError) {
        guard isFresh else {
            throw KMSError(.storeUnavailable, "this node cannot confirm that it is up to date with the key store; retry")
        }
    }
}
