import Foundation
import Metrics

/// Runs the chain writer on its own thread and batches concurrent appends: every record
/// that arrives while a group is being written and synced goes into the next group, so
/// one `fdatasync` covers all of them.
final class AuditGroupCommit: @unchecked Sendable {
    /// Called with where the submission's last record sits in the chain (`nil` for a
    /// submission without records), or the error that kept the group out of the log.
    typealias Completion = @Sendable (Result<AuditChainHead?, AuditIOError>) -> Void

    private struct Pending {
        let records: [AuditRecord]
        let completion: Completion
    }

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var pending: [Pending] = []
    private var stopping = false
    private var healthy = true
    private var statistics = AuditCommitStatistics()
    private var publishedHead: AuditChainHead

    /// `kms_audit_commit_duration_seconds`, `kms_audit_records_per_commit` and
    /// `kms_audit_available` (0 or 1) for the metrics endpoint.
    private let commitDuration = Metrics.Timer(label: "kms_audit_commit_duration_seconds", preferredDisplayUnit: .seconds)
    private let recordsPerCommit = Recorder(label: "kms_audit_records_per_commit", aggregate: true)
    private let available = Gauge(label: "kms_audit_available")

    // Used by the writer thread only, after `init`.
    private let writer: AuditChainWriter
    private let index: AuditIndex
    private var thread: Thread?

    init(writer: AuditChainWriter, index: AuditIndex) {
        self.writer = writer
        self.index = index
        self.publishedHead = writer.head
        // The thread keeps the object alive until `stop()` ends it.
        let thread = Thread { self.run() }
        thread.name = "audit-writer"
        self.thread = thread
        thread.start()
        available.record(1)
    }

    /// Whether the last group was written; `false` until a probe or append succeeds again.
    var isHealthy: Bool {
        condition.lock()
        defer { condition.unlock() }
        return healthy
    }

    /// The last record committed.
    var head: AuditChainHead {
        condition.lock()
        defer { condition.unlock() }
        return publishedHead
    }

    /// How many groups and records were written so far.
    var committed: AuditCommitStatistics {
        condition.lock()
        defer { condition.unlock() }
        return statistics
    }

    /// Queues `records` (or, for none, a check that the log is writable) for the next group.
    func submit(_ records: [AuditRecord], completion: @escaping Completion) {
        condition.lock()
        if stopping {
            condition.unlock()
            completion(.failure(AuditIOError("the audit log is closed")))
            return
        }
        pending.append(Pending(records: records, completion: completion))
        condition.signal()
        condition.unlock()
    }

    /// Writes what is queued, then stops the thread and closes the file.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        while thread != nil { condition.wait() }
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while pending.isEmpty && !stopping { condition.wait() }
            if pending.isEmpty {
                writer.close()
                thread = nil
                condition.broadcast()
                condition.unlock()
                return
            }
            let group = pending
            pending.removeAll(keepingCapacity: true)
            condition.unlock()

            let records = group.flatMap(\.records)
            let started = ContinuousClock.now
            let result = commit(records)
            let written = (try? result.get()) ?? []
            if !records.isEmpty {
                commitDuration.record(duration: ContinuousClock.now - started)
                recordsPerCommit.record(records.count)
            }
            if case .success = result { available.record(1) } else { available.record(0) }
            condition.lock()
            if case .success = result {
                healthy = true
                if let last = written.last {
                    statistics.groups += 1
                    statistics.records += records.count
                    publishedHead = AuditChainHead(sequence: last.chained.sequence, hash: last.chained.hash)
                }
            } else {
                healthy = false
            }
            condition.unlock()
            var end = 0
            for item in group {
                switch result {
                case .success:
                    end += item.records.count
                    let chained = item.records.isEmpty ? nil : written[end - 1].chained
                    item.completion(.success(chained.map { AuditChainHead(sequence: $0.sequence, hash: $0.hash) }))
                case .failure(let error):
                    item.completion(.failure(error))
                }
            }
        }
    }

    private func commit(_ records: [AuditRecord]) -> Result<[WrittenAuditRecord], AuditIOError> {
        let written: [WrittenAuditRecord]
        do {
            written = try writer.append(records)
        } catch {
            return .failure(error)
        }
        // The records are durable; an index failure only affects queries (and is logged).
        try? index.append(written)
        return .success(written)
    }
}

/// Counts of what the writer has committed: with group commit, `groups` (one write and
/// one sync each) grows slower than `records` under concurrent load.
public struct AuditCommitStatistics: Sendable, Equatable {
    public var groups = 0
    public var records = 0
}
