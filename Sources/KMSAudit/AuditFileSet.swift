import Foundation

/// One audit log file: `audit-<first sequence, 20 digits>.jsonl`, so name order is
/// chain order.
public struct AuditFile: Sendable, Equatable {
    public let path: String
    /// The sequence number of the file's first record.
    public let firstSequence: UInt64
}

/// The audit files of a directory and their naming.
public enum AuditFileSet {
    static let prefix = "audit-"
    static let suffix = ".jsonl"

    /// The file name for a file whose first record is `sequence`.
    public static func fileName(firstSequence sequence: UInt64) -> String {
        prefix + String(repeating: "0", count: max(0, 20 - String(sequence).count)) + String(sequence) + suffix
    }

    /// The sequence a file name `audit-<20 digits>.jsonl` names; `nil` for other names.
    public static func firstSequence(ofFileName name: String) -> UInt64? {
        guard name.hasPrefix(prefix), name.hasSuffix(suffix) else { return nil }
        let digits = name.dropFirst(prefix.count).dropLast(suffix.count)
        guard digits.count == 20 else { return nil }
        return UInt64(digits)
    }

    /// The audit files in `directory`, in chain order.
    ///
    /// - Throws: `AuditIOError` when the directory cannot be read.
    public static func files(in directory: String) throws(AuditIOError) -> [AuditFile] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw AuditIOError("cannot list the audit directory \(directory): \(error.localizedDescription)")
        }
        return names.compactMap { name -> AuditFile? in
            guard let first = firstSequence(ofFileName: name) else { return nil }
            return AuditFile(path: (directory as NSString).appendingPathComponent(name), firstSequence: first)
        }
        .sorted { $0.firstSequence < $1.firstSequence }
    }
}

/// Reads a file line by line in bounded memory, with each line's byte offset.
struct AuditLineReader {
    /// One line without its newline; `terminated` is false for a last line with no
    /// newline (a torn write).
    struct Line {
        let number: Int
        let offset: Int
        let bytes: ArraySlice<UInt8>
        let terminated: Bool
    }

    private let file: POSIXFile
    private var buffer: [UInt8] = []
    private var bufferOffset: Int
    private var position = 0
    private var lineNumber: Int
    private var atEnd = false
    private static let chunk = 1 << 20

    /// Reads `path` from byte `offset`, numbering the first line `firstLineNumber`.
    init(path: String, offset: Int = 0, firstLineNumber: Int = 1) throws(AuditIOError) {
        self.file = try POSIXFile(path: path, flags: O_RDONLY)
        self.bufferOffset = offset
        self.lineNumber = firstLineNumber
    }

    /// The next line, or `nil` at the end of the file.
    mutating func next() throws(AuditIOError) -> Line? {
        while true {
            if let newline = buffer[position...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Line(number: lineNumber, offset: bufferOffset + position, bytes: buffer[position..<newline], terminated: true)
                position = newline + 1
                lineNumber += 1
                return line
            }
            if atEnd {
                guard position < buffer.count else { return nil }
                let line = Line(number: lineNumber, offset: bufferOffset + position, bytes: buffer[position...], terminated: false)
                position = buffer.count
                return line
            }
            try refill()
        }
    }

    private mutating func refill() throws(AuditIOError) {
        bufferOffset += position
        buffer.removeFirst(position)
        position = 0
        let more = try file.read(count: Self.chunk, at: bufferOffset + buffer.count)
        if more.isEmpty { atEnd = true }
        buffer.append(contentsOf: more)
    }
}
