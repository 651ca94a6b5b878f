/// How long the client waits before it opens a stream again: capped exponential backoff.
///
/// The first retry waits `initial`, each further one `multiplier` times longer, never more
/// than `maximum`. A stream that delivered a message counts as a success, so the next
/// retry after it waits `initial` again.
public struct ReconnectBackoff: Sendable, Hashable {
    /// The wait before the first retry.
    public var initial: Duration
    /// The longest wait.
    public var maximum: Duration
    /// How much longer each further wait is; at least 1.
    public var multiplier: Double

    /// 100 ms, doubling, at most 5 s.
    public static let standard = ReconnectBackoff(initial: .milliseconds(100), maximum: .seconds(5), multiplier: 2)

    /// - Precondition: `initial` is positive, `maximum` is at least `initial`, `multiplier` at least 1.
    public init(initial: Duration, maximum: Duration, multiplier: Double) {
        precondition(initial > .zero, "the initial backoff must be positive")
        precondition(maximum >= initial, "the maximum backoff must not be shorter than the initial one")
        precondition(multiplier >= 1, "the backoff multiplier must be at least 1")
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
    }

    /// The wait after `failures` consecutive failures (1 for the first).
    public func delay(afterFailures failures: Int) -> Duration {
        var delay = initial
        var remaining = max(failures, 1) - 1
        while remaining > 0, delay < maximum {
            delay = delay * multiplier
            remaining -= 1
        }
        return min(delay, maximum)
    }
}
