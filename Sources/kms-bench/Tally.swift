import Histogram
import KMSClient
import KMSCore

/// What one or more workers saw inside the measured window: call latencies, items done,
/// and failures by status name. Each worker keeps its own; they are merged at the end.
struct Tally: Sendable {
    /// Latency of each call that the server answered, in microseconds.
    private(set) var latencies = Histogram<UInt64>(numberOfSignificantValueDigits: .three)
    /// Calls that the server answered (a batch call counts once, whatever its items did).
    private(set) var calls = 0
    /// Items done: calls for single-item operations, successful items for batches.
    private(set) var items = 0
    /// Failed calls and failed batch items, by status name; calls refused `THROTTLED` are
    /// counted in `throttled` instead.
    private(set) var errors: [String: Int] = [:]
    /// Calls refused because the caller's request quota was used up (RESOURCE_EXHAUSTED with
    /// reason `THROTTLED`): the server working as configured, not an error.
    private(set) var throttled = 0
    /// The earliest failure, with when it happened.
    private(set) var firstError: (at: ContinuousClock.Instant, message: String)?

    /// Records a call that the server answered after `latency`.
    mutating func record(_ outcome: CallOutcome, latency: Duration, at instant: ContinuousClock.Instant) {
        latencies.record(Self.microseconds(latency))
        calls += 1
        items += outcome.succeeded
        for failure in outcome.failures {
            noteError(failure.status, message: failure.message, at: instant)
        }
    }

    /// Records a call that failed as a whole: a throttled one in `throttled`, any other in `errors`.
    mutating func record(_ error: any Error, at instant: ContinuousClock.Instant) {
        if let failure = error as? AWSExchange.Failure {
            if failure.isThrottled {
                throttled += 1
            } else {
                noteError("HTTP \(failure.status.code)", message: failure.type, at: instant)
            }
            return
        }
        let failure = FailureSummary(error)
        if failure.reason == KMSError.Code.throttled.reason {
            throttled += 1
            return
        }
        noteError(BenchFailure.statusName(of: error), message: failure.text, at: instant)
    }

    /// Adds what `other` saw.
    mutating func merge(_ other: Tally) {
        latencies.add(other.latencies)
        calls += other.calls
        items += other.items
        errors.merge(other.errors, uniquingKeysWith: +)
        throttled += other.throttled
        if let theirs = other.firstError, firstError.map({ theirs.at < $0.at }) ?? true {
            firstError = theirs
        }
    }

    private mutating func noteError(_ status: String, message: String, at instant: ContinuousClock.Instant) {
        errors[status, default: 0] += 1
        if firstError == nil { firstError = (instant, message) }
    }

    private static func microseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds)) * 1_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000_000)
    }
}
