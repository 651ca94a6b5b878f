import FuzzSupport
import KMSAudit

// Fuzz target: audit lines (docs/AUDIT.md), as `kmsctl audit verify`, the audit index and
// ListAuditEvents read them back from files anyone with disk access could have edited.
//
// Properties, for any bytes:
// - `AuditLine.decode` never crashes;
// - a decoded line re-encodes (`AuditLine.encode` with its sequence and previous hash) to a
//   line that decodes to the same record, sequence and previous hash, whose `hash` is the one
//   `encode` returned and the one `contentHash(of:)` computes from the line;
// - encoding is stable: the re-encoded line's record encodes to exactly the same bytes.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAuditLine(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    guard let decoded = try? AuditLine.decode(Fuzz.bytes(data, size)) else { return 0 }
    _ = AuditLine.contentHash(of: Fuzz.bytes(data, size)[...])

    let (line, hash) = AuditLine.encode(decoded.record, sequence: decoded.sequence, previousHash: decoded.previousHash)
    let again: ChainedAuditRecord
    do {
        again = try AuditLine.decode(line)
    } catch {
        Fuzz.fail("a re-encoded line does not decode (\(error)): \(String(decoding: line, as: UTF8.self))")
    }
    Fuzz.require(again.record == decoded.record,
                 "the re-encoded line decodes to another record:\n\(again.record)\nnot\n\(decoded.record)")
    Fuzz.require(again.sequence == decoded.sequence && again.previousHash == decoded.previousHash,
                 "the re-encoded line has another sequence or previous hash")
    Fuzz.require(again.hash == hash, "the re-encoded line's hash \(again.hash) is not \(hash)")
    Fuzz.require(AuditLine.contentHash(of: line[...]) == hash, "the re-encoded line's content hash is not \(hash)")

    let (stable, stableHash) = AuditLine.encode(again.record, sequence: again.sequence, previousHash: again.previousHash)
    Fuzz.require(stable == line && stableHash == hash, "encoding the decoded record again changed the line")
    return 0
}
