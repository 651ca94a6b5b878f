import Foundation
import KMSCore

/// Batch input that cannot be sent: the line (1-based) and what is wrong with it, or what is
/// wrong with the input as a whole. Found before any call, so nothing was done.
///
/// Messages name lines and fields, never their values: input lines hold plaintext.
public struct BatchInputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The line, 1-based; `nil` when the input as a whole is wrong.
    public let line: Int?
    /// What is wrong.
    public let message: String

    public init(line: Int?, _ message: String) {
        self.line = line
        self.message = message
    }

    public var description: String {
        line.map { "input line \($0): \(message)" } ?? message
    }
}

/// Splits JSON Lines batch input into its lines as it is read, within the batch limits: at
/// most `maxItems` lines of at most `maxLineBytes` bytes each, so memory stays bounded
/// whatever the input.
///
/// Lines end with `\n` (a `\r` before it is dropped); a newline after the last line is
/// optional. Every line is one item, so an empty line is an error rather than skipped: the
/// n-th output line always answers the n-th input line.
public struct JSONLinesSplitter: Sendable {
    /// The longest line accepted: the largest single-item request. An item's JSON holds its
    /// bytes in base64 and its context with escapes, so no valid item comes near it.
    public static let maxLineBytes = Limits.maxRequestBytes
    /// The most items a batch call takes.
    public static let maxItems = Limits.batchItems.upperBound

    private let maxLineBytes: Int
    private let maxItems: Int
    private var lines: [Data] = []
    private var current = Data()

    public init(maxLineBytes: Int = JSONLinesSplitter.maxLineBytes, maxItems: Int = JSONLinesSplitter.maxItems) {
        self.maxLineBytes = maxLineBytes
        self.maxItems = maxItems
    }

    /// Takes the next bytes of the input.
    ///
    /// - Throws: `BatchInputError` as soon as a line is longer than the limit or a line
    ///   beyond the item limit begins.
    public mutating func append(_ chunk: Data) throws(BatchInputError) {
        var rest = chunk[...]
        while !rest.isEmpty {
            try checkRoomForAnotherLine()
            if let newline = rest.firstIndex(of: UInt8(ascii: "\n")) {
                try extendCurrent(rest[rest.startIndex..<newline])
                try endLine()
                rest = rest[rest.index(after: newline)...]
            } else {
                try extendCurrent(rest)
                rest = rest[rest.endIndex...]
            }
        }
    }

    /// The lines of the whole input, once it has all been appended.
    ///
    /// - Throws: `BatchInputError` for an input without any line.
    public mutating func finish() throws(BatchInputError) -> [Data] {
        if !current.isEmpty { try endLine() }
        guard !lines.isEmpty else { throw BatchInputError(line: nil, "the input is empty: give one JSON object per line") }
        return lines
    }

    private func checkRoomForAnotherLine() throws(BatchInputError) {
        guard current.isEmpty, lines.count == maxItems else { return }
        throw BatchInputError(
            line: nil,
            "more than \(maxItems) items: a batch call takes at most \(maxItems); split the input (for example with `split -l \(maxItems)`)"
        )
    }

    private mutating func extendCurrent(_ bytes: Data.SubSequence) throws(BatchInputError) {
        guard current.count + bytes.count <= maxLineBytes else {
            throw BatchInputError(line: lines.count + 1, "longer than \(maxLineBytes) bytes, more than any item can need")
        }
        current.append(contentsOf: bytes)
    }

    private mutating func endLine() throws(BatchInputError) {
        if current.last == UInt8(ascii: "\r") { current.removeLast() }
        guard current.contains(where: { !Self.isJSONWhitespace($0) }) else {
            throw BatchInputError(line: lines.count + 1, "empty; every line must be one JSON object")
        }
        lines.append(current)
        current = Data()
    }

    private static func isJSONWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
