import Crypto
import Foundation
import KMSCore
import Logging

/// Where and how the audit log is written (`audit.*` in the server configuration).
public struct AuditLogOptions: Sendable {
    /// The default size at which a file is closed and the chain continues in a new one.
    public static let defaultMaxFileBytes = 64 << 20

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

    public init(
        directory: String, node: String? = nil, sync: Bool = true, maxFileBytes: Int = defaultMaxFileBytes, logContextValues: Bool = false
    ) {
        self.directory = directory
        self.node = node
        self.sync = sync
        self.maxFileBytes = maxFileBytes
        self.logContextValues = logContextValues
    }
}

/// The audit log cannot be written: requests must be refused until it can.
public struct AuditUnavailable: Error, CustomStringConvertible {
    public let description: String
}

/// The audit trail of one `kmsd`: a hash chain of JSON Lines records in
/// `<directory>/audit-*.jsonl`, written durably with group commit, and an index that
/// answers queries without reading every record (docs/AUDIT.md).
public final class AuditLog: Sendable {
    public let options: AuditLogOptions
    private let groupCommit: AuditGroupCommit
    private let index: AuditIndex
    /// The context HMAC with its key schedule done once; copied for each record.
    private let contextHMAC: HMAC<SHA256>

    /// Opens the log in `options.directory`: repairs a torn last line, finds the chain's
    /// head, brings the index up to date, and starts the writer thread.
    ///
    /// - Parameter contextKey: The key of the encryption context HMAC.
    /// - Throws: `AuditIOError` when the directory or its last record cannot be read.
    public init(options: AuditLogOptions, contextKey: SymmetricKey, logger: Logger) throws(AuditIOError) {
        self.options = options
        self.contextHMAC = HMAC<SHA256>(key: contextKey)
        let writer = try AuditChainWriter(directory: options.directory, maxFileBytes: options.maxFileBytes, sync: options.sync, logger: logger)
        let files = try AuditFileSet.files(in: options.directory)
        index = try AuditIndex(directory: options.directory, files: files, head: writer.head, logger: logger)
        groupCommit = AuditGroupCommit(writer: writer, index: index)
    }

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

    private func submit(_ records: [AuditRecord]) async throws(AuditUnavailable) {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, AuditIOError>, Never>) in
            groupCommit.submit(records) { continuation.resume(returning: $0) }
        }
        if case .failure(let error) = result {
            throw AuditUnavailable(description: "the audit log cannot be written (\(error))")
        }
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
        return (context.sortedKeys, AuditLine.hex(hmac.finalize()), nil)
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

    /// Writes what is queued and stops the writer thread.
    public func close() {
        groupCommit.stop()
    }
}
