/// A token bucket: holds up to `burst` tokens, gains `rate` tokens per second, and admits a
/// call of `count` requests when it holds at least `min(count, burst)` tokens, taking all
/// `count` of them.
///
/// Pure: the time is a parameter of every call (a monotonic instant, as a `Duration` since
/// any fixed origin), so tests move time instead of sleeping.
///
/// A call larger than `burst` (a batch of 1,000 items under a burst of 100) is admitted
/// when the bucket is full and leaves it in debt (negative tokens); later calls wait until
/// the debt is repaid at `rate`. So such a batch is never refused for good, and over time
/// no principal gets more than `rate` requests per second plus one burst.
struct TokenBucket: Sendable, Equatable {
    /// Tokens added per second.
    let rate: Double
    /// The most tokens the bucket holds.
    let burst: Double
    /// Tokens held at `updated`; negative while a call larger than the burst is repaid.
    private(set) var tokens: Double
    /// When `tokens` was last brought up to date.
    private(set) var updated: Duration

    /// Floating-point slack: a bucket this close to the tokens it needs has them.
    private static let epsilon = 1e-9

    /// A full bucket at `now`.
    init(rate: Double, burst: Int, now: Duration) {
        precondition(rate > 0 && burst >= 1, "a token bucket needs a positive rate and burst")
        self.rate = rate
        self.burst = Double(burst)
        tokens = Double(burst)
        updated = now
    }

    /// The outcome of `take`.
    enum Decision: Sendable, Equatable {
        /// The requests may run; their tokens are taken.
        case admitted
        /// Too few tokens: nothing was taken; enough will be there after `retryAfter`.
        case throttled(retryAfter: Duration)
    }

    /// Takes `count` tokens at `now` when at least `min(count, burst)` are there.
    ///
    /// - Returns: `.admitted`, or `.throttled` with the time until the call would be admitted.
    mutating func take(_ count: Int, at now: Duration) -> Decision {
        let decision = check(count, at: now)
        if decision == .admitted { tokens -= Double(max(count, 1)) }
        return decision
    }

    /// What `take` would decide at `now`, without taking anything.
    mutating func check(_ count: Int, at now: Duration) -> Decision {
        refill(at: now)
        let needed = min(Double(max(count, 1)), burst)
        if tokens + Self.epsilon >= needed { return .admitted }
        return .throttled(retryAfter: .seconds((needed - tokens) / rate))
    }

    /// Whether the bucket is full at `now`: forgetting it then changes nothing, since a new
    /// bucket starts full.
    func isFull(at now: Duration) -> Bool {
        let elapsed = now > updated ? Self.seconds(now - updated) : 0
        return tokens + elapsed * rate + Self.epsilon >= burst
    }

    /// Adds the tokens earned since `updated`, up to the burst. Time that goes backwards
    /// (it should not, on a monotonic clock) adds nothing.
    private mutating func refill(at now: Duration) {
        guard now > updated else { return }
        let elapsed = Self.seconds(now - updated)
        tokens = min(burst, tokens + elapsed * rate)
        updated = now
    }

    /// A duration in seconds, as a `Double`.
    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
