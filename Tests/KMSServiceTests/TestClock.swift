import Foundation
import KMSStorage
import Synchronization

/// A clock that tests move by hand, so time-based work runs without sleeping.
final class TestClock: Sendable {
    private let current: Mutex<Date>

    /// Starts at `start` (default: the real time), rounded to the microseconds stores keep.
    init(_ start: Date = Date()) {
        current = Mutex(start.roundedToMicroseconds)
    }

    /// The clock's time.
    var now: Date { current.withLock { $0 } }

    /// Moves the clock forward.
    func advance(days: Int, seconds: TimeInterval = 0) {
        current.withLock { $0 += TimeInterval(days) * 86_400 + seconds }
    }
}
