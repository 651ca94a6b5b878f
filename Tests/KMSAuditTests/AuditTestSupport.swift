import Crypto
import Foundation
import KMSAudit
import InMemoryLogging
import Logging
import Synchronization
import Testing

/// Runs `body` with a new empty directory under the system temporary directory, removed
/// afterwards (its write permission restored first) whether `body` returns or throws.
func withAuditDirectory(_ body: (String) async throws -> Void) async throws {
    let directory = FileManager.default.temporaryDirectory
        .appending(path: "KMSAuditTests-\(UUID().uuidString)", directoryHint: .isDirectory).path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
    defer {
        chmod(directory, 0o700)
        try? FileManager.default.removeItem(atPath: directory)
    }
    try await body(directory)
}

/// Opens the audit log of `directory` with a fresh context key.
func openAuditLog(
    _ directory: String, maxFileBytes: Int = AuditLogOptions.defaultMaxFileBytes, logContextValues: Bool = false,
    contextKey: SymmetricKey = SymmetricKey(size: .bits256), logger: Logger = Logger(label: "KMSAuditTests")
) throws -> AuditLog {
    try AuditLog(
        options: AuditLogOptions(directory: directory, maxFileBytes: maxFileBytes, logContextValues: logContextValues),
        contextKey: contextKey, logger: logger
    )
}

/// Sample records: whole seconds apart so that times survive the microsecond format exactly.
enum Sample {
    static let start = Date(timeIntervalSince1970: 1_795_000_000)

    static func time(_ minute: Int) -> Date {
        start.addingTimeInterval(Double(minute) * 60)
    }

    static func record(
        _ number: Int, principal: String = "alice", action: String = "kms:Encrypt", keyID: String? = "key-1",
        outcome: AuditRecord.Outcome = .allowed, minute: Int? = nil, node: String? = nil
    ) -> AuditRecord {
        AuditRecord(
            time: time(minute ?? number), requestID: "req-\(number)", node: node, principal: principal, source: "192.0.2.10",
            action: action, keyID: keyID, keyVersion: keyID == nil ? nil : 1, outcome: outcome,
            reason: outcome == .denied ? "ACCESS_DENIED" : (outcome == .failed ? "NOT_FOUND" : nil)
        )
    }
}

/// Appends records `range` (see `Sample.record`) one after the other, naming `node`.
func appendSamples(_ range: ClosedRange<Int>, node: String? = nil, to log: AuditLog) async throws {
    for number in range { try await log.append(Sample.record(number, node: node)) }
}

/// Writes a closed chain of `count` sample records in `directory`, naming `node`; returns
/// its single file.
func writeSampleChain(in directory: String, count: Int, node: String? = nil) async throws -> String {
    let log = try openAuditLog(directory)
    defer { log.close() }
    try await appendSamples(1...count, node: node, to: log)
    let files = try AuditFileSet.files(in: directory)
    try #require(files.count == 1)
    return files[0].path
}

/// The audit files of `directory`, in chain order.
func auditPaths(_ directory: String) throws -> [String] {
    try AuditFileSet.files(in: directory).map(\.path)
}

func verifyChain(in directory: String) throws -> AuditVerification {
    try AuditVerifier.verify(paths: auditPaths(directory))
}

/// Expects `.intact` with `records` records whose head is the last record of the files.
func expectIntact(_ verification: AuditVerification, records: Int, in directory: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    guard case .intact(let count, let head) = verification else {
        Issue.record("expected an intact chain, got \(verification)", sourceLocation: sourceLocation)
        return
    }
    #expect(count == records, sourceLocation: sourceLocation)
    let last = try chainRecords(in: directory).last
    #expect(head?.sequence == last?.sequence, sourceLocation: sourceLocation)
    #expect(head?.hash == last?.hash, sourceLocation: sourceLocation)
}

/// Expects `.broken` at `path`, `line`, with a problem that mentions `problem`.
func expectBroken(
    _ verification: AuditVerification, path: String, line: Int, problem: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    guard case .broken(let brokenPath, let brokenLine, let text) = verification else {
        Issue.record("expected a broken chain at line \(line), got \(verification)", sourceLocation: sourceLocation)
        return
    }
    #expect(brokenPath == path, sourceLocation: sourceLocation)
    #expect(brokenLine == line, sourceLocation: sourceLocation)
    #expect(text.contains(problem), "problem: \(text)", sourceLocation: sourceLocation)
}

/// The bytes of a file.
func contents(of path: String) throws -> [UInt8] {
    try Array(Data(contentsOf: URL(filePath: path)))
}

/// The lines of a file without their newlines (a last line without one included).
func lines(of path: String) throws -> [[UInt8]] {
    var lines = try contents(of: path).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
    if lines.last == [] { lines.removeLast() }
    return lines
}

/// Replaces a file's content with `lines`, each followed by a newline.
func write(lines: [[UInt8]], to path: String) throws {
    try Data(lines.flatMap { $0 + [UInt8(ascii: "\n")] }).write(to: URL(filePath: path))
}

/// Appends raw bytes to a file.
func append(_ bytes: [UInt8], to path: String) throws {
    let handle = try FileHandle(forWritingTo: URL(filePath: path))
    defer { try? handle.close() }
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(bytes))
}

/// Every record of the audit files of `directory`, in file order.
func chainRecords(in directory: String) throws -> [ChainedAuditRecord] {
    var records: [ChainedAuditRecord] = []
    for path in try auditPaths(directory) {
        for line in try lines(of: path) { records.append(try AuditLine.decode(line)) }
    }
    return records
}

/// Hex SHA-256 of `bytes`, computed here independently of `AuditLine`.
func hexSHA256(_ bytes: [UInt8]) -> String {
    SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
}

/// A line with its `hash` member recomputed for its (edited) content, as a forger would.
func rehashed(_ line: [UInt8]) -> [UInt8] {
    let member = Array(#","hash":""#.utf8)
    let body = Array(line.dropLast(member.count + 64 + 2))
    #expect(Array(line[body.count..<(body.count + member.count)]) == member)
    return body + member + Array(hexSHA256(body + [UInt8(ascii: "}")]).utf8) + Array(#""}"#.utf8)
}

/// `bytes` with the first occurrence of `target` replaced by `replacement`.
func replacing(_ target: String, with replacement: String, in bytes: [UInt8]) -> [UInt8] {
    let text = String(decoding: bytes, as: UTF8.self)
    guard let range = text.range(of: target) else {
        Issue.record("\(target) not found")
        return bytes
    }
    return Array(text.replacingCharacters(in: range, with: replacement).utf8)
}

/// A logger that keeps everything logged at any level, for tests that check what operators
/// are told, and the handler that holds it.
func recordingLogger() -> (Logger, InMemoryLogHandler) {
    var handler = InMemoryLogHandler()
    handler.logLevel = .trace
    return (Logger(label: "KMSAuditTests") { [handler] _ in handler }, handler)
}

extension InMemoryLogHandler {
    /// The messages logged at `level`.
    func messages(at level: Logger.Level) -> [String] {
        entries.filter { $0.level == level }.map(\.message.description)
    }
}
