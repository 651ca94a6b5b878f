import Synchronization

/// A bounded in-memory map from names to values read from the key store, safe against
/// the race between a slow read and an invalidation.
///
/// A reader takes `readToken()` before it reads the store and passes it to
/// `put(_:for:readAt:)`; if any entry was invalidated in between, the value it read may
/// be stale and is not cached. Invalidation is local to this process.
final class MemoryCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct State {
        var entries: [Key: Value] = [:]
        /// Grows with every invalidation.
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())
    private let capacity: Int

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    func get(_ key: Key) -> Value? {
        state.withLock { $0.entries[key] }
    }

    /// A token to take before reading the store; see `put(_:for:readAt:)`.
    func readToken() -> UInt64 {
        state.withLock { $0.generation }
    }

    /// Caches a value; when `token` is given, only if nothing was invalidated since it
    /// was taken. Evicts an arbitrary entry when full.
    func put(_ value: Value, for key: Key, readAt token: UInt64? = nil) {
        state.withLock { state in
            if let token, token != state.generation { return }
            if state.entries.count >= capacity, state.entries[key] == nil, let victim = state.entries.keys.first {
                state.entries[victim] = nil
            }
            state.entries[key] = value
        }
    }

    /// Changes a cached value in place; does nothing when it is not cached, or when
    /// something was invalidated since `token` was taken (see `readToken()`).
    func modify(_ key: Key, readAt token: UInt64, _ change: (inout Value) -> Void) {
        state.withLock { state in
            guard token == state.generation else { return }
            guard var value = state.entries.removeValue(forKey: key) else { return }
            change(&value)
            state.entries[key] = value
        }
    }

    /// Drops every entry and makes reads in progress not cache what they read.
    func invalidateAll() {
        state.withLock { state in
            state.entries.removeAll()
            state.generation &+= 1
        }
    }

    /// Drops an entry (if cached) and makes reads in progress not cache what they read.
    func invalidate(_ key: Key) {
        state.withLock { state in
            state.entries[key] = nil
            state.generation &+= 1
        }
    }
}
