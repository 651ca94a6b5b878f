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

    /// Runs `body` unless the node goes a whole further bound without confirming: when its
    /// last confirmation is twice the bound old before `body` returns (its feed reads keep
    /// failing because the shared store is unreachable), `body` is cancelled and the call
    /// fails with `.storeUnavailable` instead of waiting on a database connection that may
    /// never come. The second bound is slack for a node that is only slow (a busy machine
    /// delays its feed reads too): what `body` reads comes from the store, not from a cache,
    /// so letting it finish late serves nothing stale. A store call on a node that keeps
    /// confirming is never cut short.
    ///
    /// - Throws: `.storeUnavailable`, or what `body` throws.
    func whileFresh<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        guard maxStaleness != nil else { return try await body() }
        // The group awaits its tasks before it returns, so `body` does not outlive this call.
        return try await withoutActuallyEscaping(body) { body in
            try await withThrowingTaskGroup(of: FreshOutcome<T>.self) { group in
                group.addTask { .finished(try await body()) }
                group.addTask {
                    try await self.sleepUntilStale()
                    return .becameStale
                }
                defer { group.cancelAll() }
                switch try await group.next() {
                case .finished(let value): return value
                case .becameStale, nil: throw KMSError(.storeUnavailable, "the key store cannot be reached; retry")
                }
            }
        }
    }

    /// Returns once the node's last confirmation is twice the bound old (at once when it is).
    private func sleepUntilStale() async throws {
        while let maxStaleness, let confirmed = confirmedAt.withLock({ $0 }) {
            let givingUpAt = confirmed + maxStaleness * 2
            guard ContinuousClock.Instant.now < givingUpAt else { return }
            try await Task.sleep(until: givingUpAt, clock: .continuous)
        }
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

/// Which of a store call and the freshness watch ended first.
private enum FreshOutcome<T: Sendable>: Sendable {
    case finished(T)
    case becameStale
}
