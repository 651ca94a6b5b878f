import Crypto
import Foundation
import KMSCore
import Logging
import Synchronization

/// Where and how the audit log is written (`audit.*` in the server configuration).
public struct AuditLogOptions: Sendable {
    /// The default size at which a file is closed and the chain continues in a new one.
    public static let defaultMaxFileBytes = 64 << 20
    /// The default time between checkpoints.
    public static let defaultCheckpointSeconds = 60

    /// The directory of the audit files and their index.
    public var directory: String
    /// The id of the node that writes this log (`cluster.node_id`), which its records carry
    /// as `node`; `nil` leaves it out.
    public var node: String?
    /// Whether each group of records is synced (`fdatasync`) before the requests are
    /// answered. Off only to measure what durability costs.
    public var sync: Bool
    /// Files are rotated when they would grow past this size.
    public var maxFileBytes: Int
    /// Whether records carry encryption context values in the clear instead of an HMAC.
    public var logContextValues: Bool
    /// How often `runCheckpoints()` writes a checkpoint (when records were added since the
    /// last one).
    public var checkpointSeconds: Int
    /// The second sink of checkpoints, ideally on another volume: a file that each signed
    /// checkpoint is appended to (one JSON line, synced); `nil` for none.
    public var checkpointFile: String?

    public init(
        directory: String, node: String? = nil, sync: Bool = true, maxFileBytes: Int = defaultMaxFileBytes, logContextValues: Bool = false,
        checkpointSeconds: Int = defaultCheckpointSeconds, checkpointFile: String? = nil
    ) {
        self.directory = directory
        self.node = node
        self.sync = sync
        self.maxFileBytes = maxFileBytes
        self.logContextValues = logContextValues
        self.checkpointSeconds = checkpointSeconds
        self.checkpointFile = checkpointFile
    }
}

/// The audit log cannot be written: requests must be refused until it can.
public struct AuditUnavailable: Error, CustomStringConvertible {
    public let description: String
}

/// The audit trail of one `kmsd`: a hash chain of JSON Lines records in
/// `<directory>/audit-*.jsonl`, written durably with group commit, and an index that
/// answers queries without reading every record (docs/AUDIT.md).
///
/// With a signing key, the last record of each group is signed (Ed25519), and
/// `runCheckpoints()` writes signed checkpoints to the log, to `checkpointFile` and to the
/// server log, so that a rewritten or cut chain shows without the server's secret.
public final class AuditLog: Sendable {
    public let options: AuditLogOptions
    private let groupCommit: AuditGroupCommit
    private let index: AuditIndex
    /// The context HMAC with its key schedule done once; copied for each record.
    private let contextHMAC: HMAC<SHA256>
    /// Signs and publishes checkpoints; `nil` without a signing key.
    private let checkpoints: AuditCheckpointPublisher?
    /// The sequence of the newest checkpoint record, so an idle log writes no more of them.
    private let lastCheckpoint: Mutex<UInt64?>
    private let logger: Logger

    /// Opens the log without signatures or checkpoints (tools and tests).
    ///
    /// - Parameter contextKey: The key of the encryption context HMAC.
    /// - Throws: `AuditIOError` when the directory or its last record cannot be read.
    public convenience init(options: AuditLogOptions, contextKey: SymmetricKey, logger: Logger) throws(AuditIOError) {
        try self.init(options: options, contextKey: contextKey, signingKey: nil, logger: logger)
    }

    /// Opens the log in `options.directory`: repairs a torn last line, finds the chain's
    /// head, brings the index up to date, and starts the writer thread.
    ///
    /// With a signing key, a log whose last record no signature covers (written before
    /// signing was on, or the rest of its group was cut off by a crash) first gets a signed
    /// `start` checkpoint that covers it, and a warning is logged.
    ///
    /// - Parameters:
    ///   - contextKey: The key of the encryption context HMAC.
    ///   - signingKey: The Ed25519 key that signs the chain and its checkpoints
    ///     (`RootKey.auditSigningKey()`); `nil` writes neither.
    /// - Throws: `AuditIOError` when the directory or its last record cannot be read, or
    ///   `options.checkpointFile` cannot be opened for appending.
    public init(options: AuditLogOptions, contextKey: SymmetricKey, signingKey: Curve25519.Signing.PrivateKey?, logger: Logger) throws(AuditIOError) {
        self.options = options
        self.contextHMAC = HMAC<SHA256>(key: contextKey)
        self.logger = logger
        let signer = signingKey.map(AuditSigner.init)
        let checkpoints = try signer.map { signer throws(AuditIOError) in
            AuditCheckpointPublisher(
                signer: signer, node: options.node, file: try options.checkpointFile.map { path throws(AuditIOError) in try AuditCheckpointFile.Sink(path: path) },
                logger: logger
            )
        }
        self.checkpoints = checkpoints
        let writer = try AuditChainWriter(
            directory: options.directory, maxFileBytes: options.maxFileBytes, sync: options.sync, signer: signer, logger: logger
        )
        var lastCheckpoint = writer.headIsCheckpoint ? writer.head.sequence : nil
        if let checkpoints, writer.head.sequence > 0, !writer.headIsSigned {
            let uncovered = writer.head.sequence
            let record = checkpoints.record(.start)
            _ = try writer.append([record])
            logger.warning(
                "the audit log ended with records that no signature covers (written before signing was on, or the rest of their group was cut off by a crash, or added while kmsd was stopped); a signed checkpoint now covers them",
                metadata: ["last_unsigned_seq": "\(uncovered)", "checkpoint_seq": "\(writer.head.sequence)", "directory": "\(options.directory)"]
            )
            _ = checkpoints.publish(record, at: writer.head)
            lastCheckpoint = writer.head.sequence
        }
        self.lastCheckpoint = Mutex(lastCheckpoint)
        let files = try AuditFileSet.files(in: options.directory)
        index = try AuditIndex(directory: options.directory, files: files, head: writer.head, logger: logger)
        groupCommit = AuditGroupCommit(writer: writer, index: index)
    }

    /// The key that verifies this log's signatures; `nil` when it is not signed.
    public var verificationKey: AuditVerificationKey? { checkpoints?.signer.verificationKey }

    /// Appends a record; returns once it is written (and synced, unless `sync` is off).
    ///
    /// - Throws: `AuditUnavailable` when the record could not be written; it is then not
    ///   in the log.
    public func append(_ record: AuditRecord) async throws(AuditUnavailable) {
        try await submit([record])
    }

    /// Appends records in order, all in one group (a batch call's items).
    ///
    /// - Throws: `AuditUnavailable` when they could not be written; none is then in the log.
    public func append(contentsOf records: [AuditRecord]) async throws(AuditUnavailable) {
        try await submit(records)
    }

    /// Returns at once while the log is healthy; after a failure, checks whether the log
    /// can be written again (so service resumes by itself).
    ///
    /// - Throws: `AuditUnavailable` while it cannot.
    public func ensureAvailable() async throws(AuditUnavailable) {
        guard !groupCommit.isHealthy else { return }
        try await submit([])
    }

    /// Queues `records` for the next group and waits until it is written.
    ///
    /// - Returns: where the last of `records` sits in the chain (`nil` for none).
    @discardableResult
    private func submit(_ records: [AuditRecord]) async throws(AuditUnavailable) -> AuditChainHead? {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<AuditChainHead?, AuditIOError>, Never>) in
            groupCommit.submit(records) { continuation.resume(returning: $0) }
        }
        switch result {
        case .success(let head): return head
        case .failure(let error): throw AuditUnavailable(description: "the audit log cannot be written (\(error))")
        }
    }

    /// Writes a checkpoint now: a signed checkpoint record in the log, then the checkpoint
    /// (node, its sequence and hash, time, signature) to `checkpointFile` and the server log.
    ///
    /// - Returns: the checkpoint; `nil` without a signing key, for an empty log, or when no
    ///   record was added since the last checkpoint.
    /// - Throws: `AuditUnavailable` when the checkpoint record cannot be written. A
    ///   checkpoint file that cannot be written is logged, not thrown.
    @discardableResult
    public func writeCheckpoint() async throws(AuditUnavailable) -> AuditCheckpoint? {
        guard let checkpoints, isAheadOfLastCheckpoint else { return nil }
        let record = checkpoints.record(.periodic)
        guard let head = try await submit([record]) else { return nil }
        noteCheckpoint(at: head)
        return await checkpoints.publishAsync(record, at: head)
    }

    /// Writes a checkpoint every `options.checkpointSeconds` until the task is cancelled
    /// (`writeCheckpoint()`); a failure is logged and the next interval tries again.
    /// Returns only when cancelled, also without a signing key.
    public func runCheckpoints() async {
        while true {
            do {
                try await Task.sleep(for: .seconds(options.checkpointSeconds))
            } catch {
                return
            }
            do {
                try await writeCheckpoint()
            } catch {
                logger.error("the audit checkpoint could not be written; retrying at the next interval", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Whether records were added since the newest checkpoint record.
    private var isAheadOfLastCheckpoint: Bool {
        let head = groupCommit.head.sequence
        return head > 0 && lastCheckpoint.withLock { $0 } != head
    }

    private func noteCheckpoint(at head: AuditChainHead) {
        lastCheckpoint.withLock { $0 = max($0 ?? 0, head.sequence) }
    }

    /// How many groups (each one write and one sync) and records were committed since open.
    public var statistics: AuditCommitStatistics { groupCommit.committed }

    /// The encryption context as a record carries it: its sorted keys, and an HMAC of the
    /// canonical encoding (or the values, with `logContextValues`).
    public func describe(_ context: EncryptionContext?) -> (keys: [String], hmac: String?, values: [String: String]?) {
        guard let context, !context.pairs.isEmpty else { return ([], nil, nil) }
        if options.logContextValues { return (context.sortedKeys, nil, context.pairs) }
        var hmac = contextHMAC
        hmac.update(data: context.canonicalEncoding)
        return (context.sortedKeys, Hex.lowercase(hmac.finalize()), nil)
    }

    /// The records that match `query`, oldest first, one page at a time. Scans the index
    /// (56 bytes per record) and reads only the matching records' lines.
    ///
    /// - Throws: `AuditIOError` when the index or a file cannot be read.
    public func query(_ query: AuditQuery) throws(AuditIOError) -> AuditPage {
        let count = try index.count()
        var position = try query.afterSequence.map { sequence throws(AuditIOError) in try index.position(after: sequence, count: count) } ?? 0
        var files: [UInt64: POSIXFile] = [:]
        var found: [ChainedAuditRecord] = []
        let chunk = 8192
        while position < count, found.count <= query.pageSize {
            let entries = try index.entries(from: position, count: min(chunk, count - position))
            position += entries.count
            for entry in entries where query.mayMatch(entry) {
                guard let record = try read(entry, files: &files), query.matches(record.record) else { continue }
                found.append(record)
                if found.count > query.pageSize { break }
            }
        }
        let more = found.count > query.pageSize
        let page = Array(found.prefix(query.pageSize))
        return AuditPage(records: page, continueAfter: more ? page.last?.sequence : nil)
    }

    /// The record an entry points at; `nil` when its file was removed or the line no
    /// longer reads as the record the entry describes.
    private func read(_ entry: AuditIndexEntry, files: inout [UInt64: POSIXFile]) throws(AuditIOError) -> ChainedAuditRecord? {
        let file: POSIXFile
        if let open = files[entry.fileFirstSequence] {
            file = open
        } else {
            let path = (options.directory as NSString).appendingPathComponent(AuditFileSet.fileName(firstSequence: entry.fileFirstSequence))
            guard let opened = try? POSIXFile(path: path, flags: O_RDONLY) else { return nil }
            files[entry.fileFirstSequence] = opened
            file = opened
        }
        let line = try file.read(count: Int(entry.length), at: Int(entry.offset))
        guard let record = try? AuditLine.decode(line), record.sequence == entry.sequence else { return nil }
        return record
    }

    /// Writes what is queued and stops the writer thread. With `checkpointFile` set, first
    /// writes a `shutdown` checkpoint when records were added since the last one, so the
    /// file holds the final head.
    public func close() {
        if let checkpoints, checkpoints.file != nil, groupCommit.isHealthy, isAheadOfLastCheckpoint {
            let record = checkpoints.record(.shutdown)
            let written = WrittenHead()
            groupCommit.submit([record]) { result in written.set(try? result.get()) }
            if let head = written.wait() {
                noteCheckpoint(at: head)
                _ = checkpoints.publish(record, at: head)
            }
        }
        groupCommit.stop()
    }
}

/// Hands the head of a record written by the writer thread to a caller that blocks for it.
private final class WrittenHead: @unchecked Sendable {
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var done = false
    private var head: AuditChainHead?

    func set(_ head: AuditChainHead??) {
        condition.lock()
        self.head = head ?? nil
        done = true
        condition.signal()
        condition.unlock()
    }

    func wait() -> AuditChainHead? {
        condition.lock()
        defer { condition.unlock() }
        while !done { condition.wait() }
        return head
    }
}
