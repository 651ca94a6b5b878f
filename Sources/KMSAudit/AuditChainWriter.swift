import Foundation
import Logging

/// Where the chain ends: the last record's sequence number and hash.
public struct AuditChainHead: Sendable, Equatable {
    public let sequence: UInt64
    public let hash: String

    public init(sequence: UInt64, hash: String) {
        self.sequence = sequence
        self.hash = hash
    }

    /// The head of an empty chain.
    public static let genesis = AuditChainHead(sequence: 0, hash: AuditLine.genesisHash)
}

/// A record written to a file: where its line is, for the index.
struct WrittenAuditRecord {
    let chained: ChainedAuditRecord
    let file: AuditFile
    let offset: Int
    let length: Int
}

/// Appends records to the chain of files in one directory. Used by one thread only.
///
/// Before each group it checks that the directory and file are still writable (their
/// owner-write bits are set, even for root, and the file still has a name); after a
/// failure it waits for 1 MiB of free space and truncates the file back to the last
/// synced record before writing again, so a record whose request was refused never
/// stays in the chain.
///
/// With a signer, the last record of each group and every checkpoint record carry a
/// signature (`sig`), so every record is covered by the signature that ends its group.
final class AuditChainWriter {
    private let directory: String
    private let maxFileBytes: Int
    private let sync: Bool
    private let signer: AuditSigner?
    private let logger: Logger
    private var file: POSIXFile?
    private(set) var current: AuditFile?
    /// The current file's size up to the last record that was synced.
    private var committedSize = 0
    private(set) var head: AuditChainHead
    /// Whether the head record carries a signature (`false` for an empty chain).
    private(set) var headIsSigned = false
    /// Whether the head record is a checkpoint record.
    private(set) var headIsCheckpoint = false
    private var needsRecovery = false

    /// Opens the chain in `directory` (created 0700 when missing): finds the head, repairs
    /// a torn last line by moving it aside, and appends to the last file.
    ///
    /// - Parameter signer: Signs the last record of each group and every checkpoint record;
    ///   `nil` writes no signatures.
    /// - Throws: `AuditIOError` when the directory or the last record cannot be read.
    init(directory: String, maxFileBytes: Int, sync: Bool, signer: AuditSigner? = nil, logger: Logger) throws(AuditIOError) {
        self.directory = directory
        self.maxFileBytes = maxFileBytes
        self.sync = sync
        self.signer = signer
        self.logger = logger
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw AuditIOError("cannot create the audit directory \(directory): \(error.localizedDescription)")
        }
        self.head = .genesis
        let files = try AuditFileSet.files(in: directory)
        if let last = files.last {
            try Self.repairTornTail(of: last.path, logger: logger)
            if let (record, digest) = try Self.lastRecord(of: files) {
                head = AuditChainHead(sequence: record.sequence, hash: record.hash)
                headIsSigned = record.signature != nil
                headIsCheckpoint = record.record.checkpoint != nil
                if let signer, let signature = record.signature,
                   !signer.verificationKey.isValidSignature(signature, .record, digestHex: digest ?? "")
                {
                    logger.error(
                        "the last record of the audit log carries a signature that this server's key does not verify: the log was changed, or written under another root key; check it with `kmsctl audit verify --verification-key`",
                        metadata: ["sequence": "\(record.sequence)", "directory": "\(directory)"]
                    )
                }
            } else {
                head = AuditChainHead(sequence: last.firstSequence - 1, hash: AuditLine.genesisHash)
            }
            try open(last)
        }
    }

    /// Writes `records` after the head, in order, and syncs them.
    ///
    /// - Returns: where each record was written.
    /// - Throws: `AuditIOError`; nothing of the group stays in the chain then.
    func append(_ records: [AuditRecord]) throws(AuditIOError) -> [WrittenAuditRecord] {
        do throws(AuditIOError) {
            if needsRecovery { try recover() }
            try checkWritable()
            guard !records.isEmpty else { return [] }
            var buffer: [UInt8] = []
            var lines: [(ChainedAuditRecord, Int, Int)] = []
            var chainHead = head
            for (position, record) in records.enumerated() {
                let sequence = chainHead.sequence + 1
                let signs = position == records.count - 1 || record.checkpoint != nil
                let (line, hash) = AuditLine.encode(record, sequence: sequence, previousHash: chainHead.hash, signer: signs ? signer : nil)
                lines.append((ChainedAuditRecord(sequence: sequence, record: record, previousHash: chainHead.hash, hash: hash), buffer.count, line.count))
                buffer.append(contentsOf: line)
                buffer.append(UInt8(ascii: "\n"))
                chainHead = AuditChainHead(sequence: sequence, hash: hash)
            }
            if current == nil || (committedSize > 0 && committedSize + buffer.count > maxFileBytes) {
                try startFile(firstSequence: head.sequence + 1)
            }
            guard let file, let current else { throw AuditIOError("no audit file is open") }
            try file.writeAll(buffer)
            if sync { try file.syncData() }
            let base = committedSize
            committedSize += buffer.count
            head = chainHead
            headIsSigned = signer != nil
            headIsCheckpoint = records.last?.checkpoint != nil
            return lines.map { WrittenAuditRecord(chained: $0.0, file: current, offset: base + $0.1, length: $0.2) }
        } catch {
            file?.close()
            file = nil
            needsRecovery = true
            throw error
        }
    }

    /// Checks that writing is possible without writing: used to probe a failed log.
    func probe() throws(AuditIOError) {
        _ = try append([])
    }

    func close() {
        file?.close()
        file = nil
    }

    /// The directory and the file must keep their owner-write bit, and the file its name.
    private func checkWritable() throws(AuditIOError) {
        try Self.requireWritable(directory, what: "audit directory")
        guard let file, let current else { return }
        let info = try file.status()
        guard info.st_nlink > 0 else { throw AuditIOError("the audit file \(current.path) was removed") }
        try Self.requireWritable(current.path, what: "audit file")
    }

    private static func requireWritable(_ path: String, what: String) throws(AuditIOError) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw AuditIOError("stat", path: path) }
        guard info.st_mode & S_IWUSR != 0, access(path, W_OK) == 0 else {
            throw AuditIOError("the \(what) \(path) is not writable")
        }
    }

    /// Reopens after a failure: the current file is cut back to its last synced record;
    /// a removed file is replaced by a new one that continues the chain.
    private func recover() throws(AuditIOError) {
        try Self.requireWritable(directory, what: "audit directory")
        try requireFreeSpace()
        if let current, FileManager.default.fileExists(atPath: current.path) {
            let reopened = try POSIXFile(path: current.path, flags: O_WRONLY | O_APPEND)
            try reopened.truncate(to: committedSize)
            try reopened.syncData()
            file = reopened
        } else if let current {
            logger.error("the audit file was removed; the chain continues in a new file", metadata: ["file": "\(current.path)"])
            self.current = nil
        }
        needsRecovery = false
        logger.notice("the audit log is writable again", metadata: ["directory": "\(directory)"])
    }

    /// After a failure, writing resumes only with at least 1 MiB free, so a full disk
    /// keeps calls refused before they run instead of failing each one after it ran.
    private func requireFreeSpace() throws(AuditIOError) {
        var info = statvfs()
        guard statvfs(directory, &info) == 0 else { throw AuditIOError("statvfs", path: directory) }
        guard UInt64(info.f_bavail) * UInt64(info.f_frsize) >= 1 << 20 else {
            throw AuditIOError("the file system of the audit directory \(directory) has less than 1 MiB free")
        }
    }

    private func startFile(firstSequence: UInt64) throws(AuditIOError) {
        let name = AuditFileSet.fileName(firstSequence: firstSequence)
        let next = AuditFile(path: (directory as NSString).appendingPathComponent(name), firstSequence: firstSequence)
        let created = try POSIXFile(path: next.path, flags: O_WRONLY | O_APPEND | O_CREAT | O_EXCL)
        try POSIXFile.syncDirectory(directory)
        file?.close()
        file = created
        current = next
        committedSize = 0
    }

    private func open(_ existing: AuditFile) throws(AuditIOError) {
        let opened = try POSIXFile(path: existing.path, flags: O_WRONLY | O_APPEND)
        committedSize = Int(try opened.status().st_size)
        file = opened
        current = existing
    }

    /// The last record of the last file that has one, with the digest its signature covers
    /// (`nil` when it has none). Reads each file backwards from its end, so start-up does not
    /// read whole files.
    private static func lastRecord(of files: [AuditFile]) throws(AuditIOError) -> (ChainedAuditRecord, String?)? {
        for auditFile in files.reversed() {
            let file = try POSIXFile(path: auditFile.path, flags: O_RDONLY)
            let size = Int(try file.status().st_size)
            // The file ends with a newline (a torn tail was repaired before this runs).
            guard size > 1 else { continue }
            let start = try startOfLastLine(in: file, endingAt: size - 1)
            let line = try file.read(count: size - 1 - start, at: start)
            do {
                return (try AuditLine.decode(line), AuditLine.signedDigest(of: line[...]))
            } catch {
                throw AuditIOError(
                    "the last record of \(auditFile.path) is unreadable (\(error)); check it with `kmsctl audit verify` and move the file aside"
                )
            }
        }
        return nil
    }

    /// The offset just after the last newline before `end` (0 when there is none).
    private static func startOfLastLine(in file: POSIXFile, endingAt end: Int) throws(AuditIOError) -> Int {
        var start = end
        let step = 64 * 1024
        while start > 0 {
            let from = max(0, start - step)
            let chunk = try file.read(count: start - from, at: from)
            if let newline = chunk.lastIndex(of: UInt8(ascii: "\n")) {
                return from + newline + 1
            }
            start = from
        }
        return 0
    }

    /// Moves a last line without a newline (a write cut by a crash, never acknowledged)
    /// into `<file>.torn-<time>` and cuts it from the file, logging what was done.
    private static func repairTornTail(of path: String, logger: Logger) throws(AuditIOError) {
        let file = try POSIXFile(path: path, flags: O_RDWR)
        let size = Int(try file.status().st_size)
        guard size > 0, try file.read(count: 1, at: size - 1) != [UInt8(ascii: "\n")] else { return }
        let start = try startOfLastLine(in: file, endingAt: size)
        let torn = try file.read(count: size - start, at: start)
        let (aside, saved) = try createAsideFile(for: path)
        try saved.writeAll(torn)
        try saved.syncData()
        try file.truncate(to: start)
        try file.syncData()
        logger.warning("the audit log ended with an incomplete record (a write cut off by a crash, never acknowledged); moved it aside", metadata: [
            "file": "\(path)", "bytes": "\(torn.count)", "moved_to": "\(aside)",
        ])
    }

    /// A new `<file>.torn-<unix time>` file (`-2`, `-3`… appended when that name exists),
    /// so an earlier repair's bytes are never overwritten.
    private static func createAsideFile(for path: String) throws(AuditIOError) -> (String, POSIXFile) {
        let stem = "\(path).torn-\(Int(Date().timeIntervalSince1970))"
        var attempt = 1
        while true {
            let candidate = attempt == 1 ? stem : "\(stem)-\(attempt)"
            do {
                return (candidate, try POSIXFile(path: candidate, flags: O_WRONLY | O_CREAT | O_EXCL))
            } catch {
                guard error.code == EEXIST, attempt < 1000 else { throw error }
                attempt += 1
            }
        }
    }
}
