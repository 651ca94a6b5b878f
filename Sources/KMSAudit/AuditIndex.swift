import Foundation
import Logging
import Synchronization

/// One record's entry in the index: 56 bytes, little-endian; entries are in sequence order.
struct AuditIndexEntry: Equatable {
    static let byteCount = 56

    let sequence: UInt64
    /// The first sequence number of the file holding the record (its name).
    let fileFirstSequence: UInt64
    let timeMicros: Int64
    let keyHash: UInt64
    let principalHash: UInt64
    let offset: UInt64
    let length: UInt32
    let actionHash: UInt16
    let outcome: UInt8

    init(_ written: WrittenAuditRecord) {
        let record = written.chained.record
        self.sequence = written.chained.sequence
        self.fileFirstSequence = written.file.firstSequence
        self.timeMicros = RFC3339.microseconds(record.time)
        self.keyHash = FNV1a.hash(record.keyID ?? "")
        self.principalHash = FNV1a.hash(record.principal)
        self.offset = UInt64(written.offset)
        self.length = UInt32(written.length)
        self.actionHash = UInt16(truncatingIfNeeded: FNV1a.hash(record.action))
        self.outcome = Self.code(of: record.outcome)
    }

    init(bytes: ArraySlice<UInt8>) {
        var reader = bytes.startIndex
        func take<T: FixedWidthInteger>(_: T.Type) -> T {
            var value: T = 0
            for index in 0..<MemoryLayout<T>.size { value |= T(bytes[reader + index]) << (8 * index) }
            reader += MemoryLayout<T>.size
            return value
        }
        sequence = take(UInt64.self)
        fileFirstSequence = take(UInt64.self)
        timeMicros = Int64(bitPattern: take(UInt64.self))
        keyHash = take(UInt64.self)
        principalHash = take(UInt64.self)
        offset = take(UInt64.self)
        length = take(UInt32.self)
        actionHash = take(UInt16.self)
        outcome = take(UInt8.self)
    }

    func append(to out: inout [UInt8]) {
        func put<T: FixedWidthInteger>(_ value: T) {
            for index in 0..<MemoryLayout<T>.size { out.append(UInt8(truncatingIfNeeded: value >> (8 * index))) }
        }
        put(sequence)
        put(fileFirstSequence)
        put(UInt64(bitPattern: timeMicros))
        put(keyHash)
        put(principalHash)
        put(offset)
        put(length)
        put(actionHash)
        put(outcome)
        put(UInt8(0))
    }

    static func code(of outcome: AuditRecord.Outcome) -> UInt8 {
        switch outcome {
        case .allowed: 1
        case .denied: 2
        case .failed: 3
        case .intent: 4
        }
    }
}

/// A stable 64-bit hash (FNV-1a) for index filters; matches are confirmed on the record.
enum FNV1a {
    static func hash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return hash
    }
}

/// `index.bin`: one fixed-size entry per record, in sequence order, so a query scans 56
/// bytes per record instead of parsing the logs, and finds a page token's place by
/// binary search.
///
/// The index is derived data: it is appended after records are synced, never synced
/// itself, checked at start-up against the logs and completed or rebuilt from them.
/// Appends come from the writer thread; queries read with `pread` below the published
/// count.
final class AuditIndex: @unchecked Sendable {
    private struct State {
        var count: Int
        var failure: AuditIOError?
    }

    private let file: POSIXFile
    private let state: Mutex<State>
    private let logger: Logger

    /// Opens (or creates) the index of `directory` and brings it up to `head`, reading
    /// only the records it lacks; an index that disagrees with the files is rebuilt.
    init(directory: String, files: [AuditFile], head: AuditChainHead, logger: Logger) throws(AuditIOError) {
        self.logger = logger
        file = try POSIXFile(path: (directory as NSString).appendingPathComponent("index.bin"), flags: O_RDWR | O_CREAT | O_APPEND)
        let size = Int(try file.status().st_size)
        var count = size / AuditIndexEntry.byteCount
        var lastEntry: AuditIndexEntry?
        if count > 0 {
            let first = try Self.entries(in: file, from: 0, count: 1)[0]
            let last = try Self.entries(in: file, from: count - 1, count: 1)[0]
            // Entries for removed old files, beyond the chain's head, or out of order (a
            // zero-filled tail after a crash) mean the index is stale.
            if first.sequence >= (files.first?.firstSequence ?? 1), last.sequence <= head.sequence,
               last.sequence >= first.sequence, UInt64(count) <= last.sequence - first.sequence + 1, last.length > 0 {
                lastEntry = last
            } else {
                logger.notice("the audit index does not match the log files; rebuilding it", metadata: ["directory": "\(directory)"])
                count = 0
            }
        }
        if size != count * AuditIndexEntry.byteCount { try file.truncate(to: count * AuditIndexEntry.byteCount) }
        state = Mutex(State(count: count))
        try catchUp(files: files, head: head, after: lastEntry)
    }

    /// Indexes the records of `files` after `lastEntry` (all of them when `nil`).
    private func catchUp(files: [AuditFile], head: AuditChainHead, after lastEntry: AuditIndexEntry?) throws(AuditIOError) {
        let next = (lastEntry?.sequence ?? 0) + 1
        guard next <= head.sequence else { return }
        var batch: [WrittenAuditRecord] = []
        for (position, auditFile) in files.enumerated() {
            let lastInFile = position + 1 < files.count ? files[position + 1].firstSequence - 1 : head.sequence
            guard lastInFile >= next else { continue }
            var offset = 0
            if let lastEntry, auditFile.firstSequence <= lastEntry.sequence {
                offset = Int(lastEntry.offset) + Int(lastEntry.length) + 1
            }
            var reader = try AuditLineReader(path: auditFile.path, offset: offset)
            while let line = try reader.next() {
                guard let chained = try? AuditLine.decode(line.bytes) else {
                    logger.warning("an audit line is unreadable and was left out of the index", metadata: [
                        "file": "\(auditFile.path)", "line": "\(line.number)",
                    ])
                    continue
                }
                guard chained.sequence >= next else { continue }
                batch.append(WrittenAuditRecord(chained: chained, file: auditFile, offset: line.offset, length: line.bytes.count))
                if batch.count == 10_000 {
                    try append(batch)
                    batch.removeAll(keepingCapacity: true)
                }
            }
        }
        try append(batch)
    }

    /// Appends the entries of records just written, in sequence order.
    func append(_ written: [WrittenAuditRecord]) throws(AuditIOError) {
        guard !written.isEmpty else { return }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(written.count * AuditIndexEntry.byteCount)
        for record in written { AuditIndexEntry(record).append(to: &bytes) }
        try state.withLock { state throws(AuditIOError) in
            if let failure = state.failure { throw failure }
            do throws(AuditIOError) {
                try file.writeAll(bytes)
            } catch {
                logger.error("the audit index could not be written; queries fail until kmsd restarts and rebuilds it", metadata: [
                    "error": "\(error)",
                ])
                state.failure = error
                throw error
            }
            state.count += written.count
        }
    }

    /// How many entries are published.
    func count() throws(AuditIOError) -> Int {
        try state.withLock { state throws(AuditIOError) in
            if let failure = state.failure { throw failure }
            return state.count
        }
    }

    /// The position of the first entry after `sequence` among the first `count` entries.
    func position(after sequence: UInt64, count: Int) throws(AuditIOError) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if try entries(from: middle, count: 1)[0].sequence <= sequence { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Reads `count` entries from position `start`.
    func entries(from start: Int, count: Int) throws(AuditIOError) -> [AuditIndexEntry] {
        try Self.entries(in: file, from: start, count: count)
    }

    private static func entries(in file: POSIXFile, from start: Int, count: Int) throws(AuditIOError) -> [AuditIndexEntry] {
        let bytes = try file.read(count: count * AuditIndexEntry.byteCount, at: start * AuditIndexEntry.byteCount)
        return stride(from: 0, to: bytes.count - AuditIndexEntry.byteCount + 1, by: AuditIndexEntry.byteCount).map {
            AuditIndexEntry(bytes: bytes[$0..<($0 + AuditIndexEntry.byteCount)])
        }
    }
}
