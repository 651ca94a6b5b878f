import Foundation
import GRPCCore
import GRPCProtobuf
import KMSAudit
import KMSCore
import Logging
import Synchronization

/// The request quotas of one `kmsd`: decides whether a principal's call may run, and writes
/// the sampled audit records of the calls it refuses (`ThrottleSampler`).
///
/// Buckets live in memory, per node: with several nodes, a principal's quota applies on
/// each node it reaches.
final class QuotaEnforcer: Sendable {
    /// The `action` of a summary record: the throttled calls a principal made after its last
    /// recorded one, counted in `throttled_since_last_record`.
    static let summaryAction = "kms:ThrottledCalls"

    let rules: QuotaRules
    private let table: Mutex<QuotaTable>
    private let sampling = Mutex(Sampling())
    private let log: AuditLog
    /// The server's clock, for the records' `time`.
    private let clock: @Sendable () -> Date
    /// A monotonic clock, for buckets and sampling windows.
    private let monotonic: @Sendable () -> Duration
    private let logger: Logger
    private let maxPrincipals: Int

    private struct Sampling: Sendable {
        var sampler = ThrottleSampler()
        /// Whether a task that writes the summaries is running.
        var flushing = false
    }

    /// - Parameters:
    ///   - monotonic: The time of buckets and sampling windows: any monotonic clock, as a
    ///     duration since a fixed origin. Default: `ContinuousClock`.
    /// - Throws: `ConfigurationError` when a rule is invalid.
    init(
        quotas: [ServerConfiguration.QuotaRule],
        log: AuditLog,
        clock: @escaping @Sendable () -> Date,
        monotonic: (@Sendable () -> Duration)? = nil,
        idleTimeout: Duration = QuotaTable.defaultIdleTimeout,
        maxPrincipals: Int = QuotaTable.defaultMaxPrincipals,
        logger: Logger
    ) throws(ConfigurationError) {
        rules = try QuotaRules(quotas)
        table = Mutex(QuotaTable(rules: rules, idleTimeout: idleTimeout, maxPrincipals: maxPrincipals))
        self.log = log
        self.clock = clock
        if let monotonic {
            self.monotonic = monotonic
        } else {
            let origin = ContinuousClock.now
            self.monotonic = { ContinuousClock.now - origin }
        }
        self.logger = logger
        self.maxPrincipals = maxPrincipals
    }

    /// Takes `count` tokens for `principal` calling `operation` (see `QuotaTable.take`).
    func take(_ count: Int, principal: Principal, operation: String) -> QuotaTable.Decision {
        let now = monotonic()
        let (decision, evicted) = table.withLock { table in
            let before = table.earlyEvictions
            return (table.take(count, principal: principal, operation: operation, at: now), table.earlyEvictions - before)
        }
        if evicted > 0 {
            logger.warning("the quota table is full of active principals; forgot the least recently used ones", metadata: [
                "forgotten": "\(evicted)", "max_principals": "\(maxPrincipals)",
            ])
        }
        return decision
    }

    /// What `take` would decide, without taking anything.
    func check(_ count: Int, principal: Principal, operation: String) -> QuotaTable.Decision {
        let now = monotonic()
        return table.withLock { $0.check(count, principal: principal, operation: operation, at: now) }
    }

    /// The error a throttled call gets: RESOURCE_EXHAUSTED, `ErrorInfo` reason `THROTTLED`,
    /// and a `RetryInfo` with `retryAfter` rounded up to a whole millisecond.
    func refusal(operation: String, items: Int?, rule index: Int, retryAfter: Duration) -> RPCError {
        let rule = rules.rules[index]
        let milliseconds = Self.wholeMilliseconds(retryAfter)
        let rate = "at most \(Self.number(rule.requestsPerSecond)) \(operation) requests per second (burst \(rule.burst))"
        let what = items.map { "the \($0) items of this batch count as \($0) \(operation) requests; " } ?? ""
        let error = KMSError(.throttled, "request quota exceeded: \(what)\(rate) for this caller; retry after \(milliseconds) ms")
        return RPCError(ErrorMapping.status(for: error, retryAfter: .milliseconds(milliseconds)))
    }

    /// Records a throttled call as `ThrottleSampler` decides: the first one of a principal's
    /// window in full (waiting until it is written), the others only counted.
    ///
    /// - Returns: the record's request id, when the call was recorded.
    func recordThrottled(
        action: String, principal: Principal, proxy: Principal?, source: String?, failure: RPCError
    ) async -> String? {
        let time = clock()
        let call = ThrottleSampler.CountedCall(time: time, source: source, proxy: proxy?.description)
        let now = monotonic()
        let decision = sampling.withLock { state in
            let action = state.sampler.throttled(principal, call: call, at: now)
            let startFlushing = !state.flushing
            state.flushing = true
            return (action, startFlushing)
        }
        if decision.1 {
            Task.detached { await self.flushSummaries() }
        }
        guard case .record(let carried) = decision.0 else { return nil }
        let builder = AuditRecordBuilder(
            log: log, requestID: UUID().uuidString.lowercased(), time: time, action: action,
            principal: principal.description, proxy: proxy?.description, source: source
        )
        let facts = AuditFacts()
        facts.noteError(.throttled)
        var records = builder.records(for: facts, failure: failure)
        for index in records.indices {
            records[index].throttledSinceLastRecord = carried > 0 ? carried : nil
        }
        do {
            try await log.append(contentsOf: records)
            return builder.requestID
        } catch {
            logger.error("a throttled call's audit record could not be written; the next record of the principal counts it", metadata: [
                "principal": "\(principal)", "action": "\(action)", "error": "\(error)",
            ])
            sampling.withLock { $0.sampler.restore(carried + 1, for: principal, last: call, at: monotonic()) }
            return nil
        }
    }

    /// Writes the summary records that come due, once a second, while any window is open.
    private func flushSummaries() async {
        while true {
            try? await Task.sleep(for: ThrottleSampler.window)
            let now = monotonic()
            let summaries = sampling.withLock { state in
                let due = state.sampler.due(at: now)
                if state.sampler.isEmpty { state.flushing = false }
                return (due, state.flushing)
            }
            for summary in summaries.0 {
                await write(summary)
            }
            if !summaries.1 { return }
        }
    }

    /// Writes one summary record. When it cannot be written, the server log says how many
    /// throttled calls of the principal it would have counted.
    private func write(_ summary: ThrottleSampler.Summary) async {
        let record = AuditRecord(
            time: summary.last.time, requestID: UUID().uuidString.lowercased(), node: log.options.node,
            principal: summary.principal.description, proxy: summary.last.proxy, source: summary.last.source,
            action: Self.summaryAction, outcome: .failed, reason: KMSError.Code.throttled.reason,
            throttledSinceLastRecord: summary.count
        )
        do {
            try await log.append(record)
        } catch {
            logger.warning("a summary record of throttled calls could not be written", metadata: [
                "principal": "\(summary.principal)", "throttled_calls": "\(summary.count)",
                "last_call": "\(RFC3339.format(summary.last.time))", "error": "\(error)",
            ])
        }
    }

    /// `duration` in whole milliseconds, rounded up, at least 1.
    static func wholeMilliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return max(1, milliseconds)
    }

    /// A rate as written in the configuration: `10`, `0.5`.
    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
