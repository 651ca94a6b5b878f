import Foundation
import KMSCore

/// Decides which throttled calls get an audit record, so that a flood of throttled calls
/// cannot flood the audit log.
///
/// Per principal, the first throttled call opens a one-second window and is recorded in
/// full; the principal's throttled calls in the rest of the window are only counted. The
/// next recorded throttled call of the principal (the first after the window) carries the
/// count (`throttled_since_last_record`). When none comes within a further window, `due`
/// hands out a summary record's worth instead. So a principal gets at most one record per
/// second for its throttled calls, plus one summary when the flood stops, and every
/// throttled call is in some record's count or is a record itself.
///
/// Pure: the time is a parameter (a monotonic instant).
struct ThrottleSampler: Sendable {
    /// The length of a window.
    static let window: Duration = .seconds(1)

    /// What a summary record says about the counted calls: taken from the last of them.
    struct CountedCall: Sendable, Equatable {
        /// When it arrived, by the server's clock.
        var time: Date
        var source: String?
        var proxy: String?
    }

    /// What to do with one throttled call.
    enum Action: Sendable, Equatable {
        /// Record it in full, with `throttled_since_last_record` = `carrying` (0: leave it out).
        case record(carrying: Int)
        /// Only count it.
        case count
    }

    /// Counted calls that no record carries yet, for a summary record.
    struct Summary: Sendable, Equatable {
        let principal: Principal
        let count: Int
        let last: CountedCall
    }

    private struct Window: Sendable {
        var start: Duration
        var counted = 0
        var last: CountedCall?
    }

    private var windows: [Principal: Window] = [:]

    /// Whether no window is open or waiting for its summary.
    var isEmpty: Bool { windows.isEmpty }

    /// Decides about a throttled call of `principal` at `now`.
    mutating func throttled(_ principal: Principal, call: CountedCall, at now: Duration) -> Action {
        if let window = windows[principal], now - window.start < Self.window {
            windows[principal]!.counted += 1
            windows[principal]!.last = call
            return .count
        }
        let carried = windows[principal]?.counted ?? 0
        windows[principal] = Window(start: now)
        return .record(carrying: carried)
    }

    /// The summaries due at `now`: the counts of windows that ended at least one window ago
    /// and that no record carried. Forgets every such window (with or without a count).
    mutating func due(at now: Duration) -> [Summary] {
        var summaries: [Summary] = []
        for (principal, window) in windows where now - window.start >= Self.window * 2 {
            windows[principal] = nil
            if window.counted > 0, let last = window.last {
                summaries.append(Summary(principal: principal, count: window.counted, last: last))
            }
        }
        return summaries.sorted { $0.last.time < $1.last.time }
    }

    /// Counts `count` calls again whose record could not be written (the last of them
    /// `call`), so that the next record of `principal` carries them.
    mutating func restore(_ count: Int, for principal: Principal, last call: CountedCall, at now: Duration) {
        guard count > 0 else { return }
        if windows[principal] == nil { windows[principal] = Window(start: now) }
        windows[principal]!.counted += count
        if windows[principal]!.last == nil { windows[principal]!.last = call }
    }
}
