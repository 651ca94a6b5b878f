import Crypto
import Foundation
import KMSAudit
import Logging
import Testing

/// A fixed audit signing key for the tests, and another one.
enum TestKeys {
    static let signing = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 0x5A, count: 32))
    static let other = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 0xA5, count: 32))

    static var verification: AuditVerificationKey { AuditVerificationKey(signingKey: signing) }
    static var otherVerification: AuditVerificationKey { AuditVerificationKey(signingKey: other) }
}

/// Opens the audit log of `directory` signed with `key`, with checkpoints to `checkpointFile`.
func openSignedAuditLog(
    _ directory: String, key: Curve25519.Signing.PrivateKey = TestKeys.signing, node: String? = nil,
    maxFileBytes: Int = AuditLogOptions.defaultMaxFileBytes, checkpointFile: String? = nil,
    logger: Logger = Logger(label: "KMSAuditTests")
) throws -> AuditLog {
    try AuditLog(
        options: AuditLogOptions(directory: directory, node: node, maxFileBytes: maxFileBytes, checkpointFile: checkpointFile),
        contextKey: SymmetricKey(size: .bits256), signingKey: key, logger: logger
    )
}

/// Verifies the files of `directory` with `key` and the checkpoints of `checkpointFiles`.
func verifySigned(
    _ directory: String, key: AuditVerificationKey? = TestKeys.verification, checkpointFiles: [String] = []
) throws -> AuditChainReport {
    let checkpoints = try checkpointFiles.flatMap { try AuditCheckpointFile.read(path: $0, verificationKey: key) }
    return try AuditVerifier.verify(paths: auditPaths(directory), options: AuditVerificationOptions(verificationKey: key, checkpoints: checkpoints))
}

/// `line` without its `,"sig":"…"` member, its hash recomputed: a record as a forger
/// without the key would leave it.
func strippedOfSignature(_ line: [UInt8]) -> [UInt8] {
    let text = String(decoding: line, as: UTF8.self)
    guard let range = text.range(of: #","sig":"[A-Za-z0-9+/=]{88}""#, options: .regularExpression) else { return line }
    return rehashed(Array(text.replacingCharacters(in: range, with: "").utf8))
}

/// The hash member of a line (its last 64 hex digits before `"}`).
func hashMember(of line: [UInt8]) -> String {
    String(decoding: line.dropLast(2).suffix(64), as: UTF8.self)
}

/// Rewrites the lines from index `first` on as an insider who can write the files but
/// lacks the key would: each record's principal changed, `prev_hash` linked to the rewritten
/// record before it and its plain SHA-256 hash recomputed; signatures kept as they were
/// (now stale) or removed.
func rewriteSuffix(_ lines: inout [[UInt8]], from first: Int, removingSignatures: Bool) {
    var previousHash = hashMember(of: lines[first - 1])
    for index in first..<lines.count {
        var text = String(decoding: lines[index], as: UTF8.self)
        let original = try! AuditLine.decode(lines[index])
        text = text.replacingOccurrences(of: #""principal":"alice""#, with: #""principal":"mallory""#)
        text = text.replacingOccurrences(of: #""prev_hash":"\#(original.previousHash)""#, with: #""prev_hash":"\#(previousHash)""#)
        var line = Array(text.utf8)
        line = removingSignatures ? strippedOfSignature(line) : rehashed(line)
        lines[index] = line
        previousHash = hashMember(of: line)
    }
}

/// Expects `.intact` with `records` records.
func expectIntact(_ report: AuditChainReport, records: Int, sourceLocation: SourceLocation = #_sourceLocation) {
    guard case .intact(let count, _) = report.verification else {
        Issue.record("expected an intact chain, got \(report.verification)", sourceLocation: sourceLocation)
        return
    }
    #expect(count == records, sourceLocation: sourceLocation)
}
