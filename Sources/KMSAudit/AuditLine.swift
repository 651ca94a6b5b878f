import Crypto
import Foundation
import KMSCore

/// The JSON Lines form of a chained record (docs/AUDIT.md): one object per line, fields
/// in a fixed order, `prev_hash`, then `sig` in signed records, then `hash` last.
///
/// `hash` is SHA-256 over the line's bytes with the `,"hash":"…"` member removed, so
/// anyone can recompute it from the file without re-serializing JSON. `sig` signs the
/// digest of the line without `sig` and `hash` (`AuditSignature`), and `hash` covers `sig`.
public enum AuditLine {
    /// The `prev_hash` of the very first record.
    public static let genesisHash = String(repeating: "0", count: 64)
    /// `,"hash":"` + 64 hex digits + `"}`: the fixed-length end of every line.
    static let hashSuffixLength = 9 + 64 + 2
    /// `,"sig":"` + 88 base64 digits + `"`: the member before `hash` in signed records.
    static let signatureMemberLength = 8 + AuditSignature.base64Length + 1

    /// Encodes a record at `sequence` after the record whose hash is `previousHash`.
    ///
    /// - Returns: the line without its newline, and the record's hash.
    public static func encode(_ record: AuditRecord, sequence: UInt64, previousHash: String) -> (line: [UInt8], hash: String) {
        encode(record, sequence: sequence, previousHash: previousHash, signer: nil)
    }

    /// Encodes a record signed with `signingKey` (tests make records signed with another
    /// key this way).
    ///
    /// - Returns: the line without its newline, and the record's hash.
    public static func encode(
        _ record: AuditRecord, sequence: UInt64, previousHash: String, signingKey: Curve25519.Signing.PrivateKey
    ) -> (line: [UInt8], hash: String) {
        encode(record, sequence: sequence, previousHash: previousHash, signer: AuditSigner(signingKey))
    }

    /// Encodes a record, with a `sig` member when `signer` is given.
    static func encode(_ record: AuditRecord, sequence: UInt64, previousHash: String, signer: AuditSigner?) -> (line: [UInt8], hash: String) {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        out.append(UInt8(ascii: "{"))
        JSONText.appendKey("seq", first: true, to: &out)
        JSONText.appendInteger(sequence, to: &out)
        JSONText.appendKey("time", to: &out)
        JSONText.appendString(RFC3339.format(record.time), to: &out)
        JSONText.appendKey("request_id", to: &out)
        JSONText.appendString(record.requestID, to: &out)
        if let batchIndex = record.batchIndex {
            JSONText.appendKey("batch_index", to: &out)
            JSONText.appendInteger(batchIndex, to: &out)
        }
        if let node = record.node {
            JSONText.appendKey("node", to: &out)
            JSONText.appendString(node, to: &out)
        }
        JSONText.appendKey("principal", to: &out)
        JSONText.appendString(record.principal, to: &out)
        if let proxy = record.proxy {
            JSONText.appendKey("proxy", to: &out)
            JSONText.appendString(proxy, to: &out)
        }
        if let source = record.source {
            JSONText.appendKey("source", to: &out)
            JSONText.appendString(source, to: &out)
        }
        JSONText.appendKey("action", to: &out)
        JSONText.appendString(record.action, to: &out)
        appendKey(record.keyID, version: record.keyVersion, idName: "key_id", versionName: "key_version", to: &out)
        if let alias = record.alias {
            JSONText.appendKey("alias", to: &out)
            JSONText.appendString(alias, to: &out)
        }
        appendKey(
            record.destinationKeyID, version: record.destinationKeyVersion,
            idName: "destination_key_id", versionName: "destination_key_version", to: &out
        )
        JSONText.appendKey("outcome", to: &out)
        JSONText.appendString(record.outcome.rawValue, to: &out)
        if let reason = record.reason {
            JSONText.appendKey("reason", to: &out)
            JSONText.appendString(reason, to: &out)
        }
        if let count = record.throttledSinceLastRecord {
            JSONText.appendKey("throttled_since_last_record", to: &out)
            JSONText.appendInteger(count, to: &out)
        }
        if !record.encryptionContextKeys.isEmpty {
            JSONText.appendKey("encryption_context_keys", to: &out)
            out.append(UInt8(ascii: "["))
            for (index, key) in record.encryptionContextKeys.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONText.appendString(key, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
        if let hmac = record.encryptionContextHMAC {
            JSONText.appendKey("encryption_context_hmac", to: &out)
            JSONText.appendString(hmac, to: &out)
        }
        if let context = record.encryptionContext {
            JSONText.appendKey("encryption_context", to: &out)
            out.append(UInt8(ascii: "{"))
            for (index, key) in context.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONText.appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                JSONText.appendString(context[key]!, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        if let grantID = record.grantID {
            JSONText.appendKey("grant_id", to: &out)
            JSONText.appendString(grantID, to: &out)
        }
        if let checkpoint = record.checkpoint {
            JSONText.appendKey("checkpoint", to: &out)
            JSONText.appendString(checkpoint.rawValue, to: &out)
        }
        JSONText.appendKey("prev_hash", to: &out)
        JSONText.appendString(previousHash, to: &out)
        if let signer {
            out.append(UInt8(ascii: "}"))
            let signature = signer.sign(.record, digestHex: hexSHA256(out))
            out.removeLast()
            JSONText.appendKey("sig", to: &out)
            JSONText.appendString(signature, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        let hash = hexSHA256(out)
        out.removeLast()
        JSONText.appendKey("hash", to: &out)
        JSONText.appendString(hash, to: &out)
        out.append(UInt8(ascii: "}"))
        return (out, hash)
    }

    private static func appendKey(_ id: String?, version: UInt32?, idName: StaticString, versionName: StaticString, to out: inout [UInt8]) {
        if let id {
            JSONText.appendKey(idName, to: &out)
            JSONText.appendString(id, to: &out)
        }
        if let version {
            JSONText.appendKey(versionName, to: &out)
            JSONText.appendInteger(version, to: &out)
        }
    }

    /// The hash a line's content implies: SHA-256 over the line without its `hash`
    /// member; `nil` when the line does not end with one.
    public static func contentHash(of line: ArraySlice<UInt8>) -> String? {
        guard line.count > hashSuffixLength + 1 else { return nil }
        let cut = line.endIndex - hashSuffixLength
        guard line[cut..<(cut + 9)].elementsEqual(#","hash":""#.utf8), line[line.endIndex - 2] == UInt8(ascii: "\""),
              line[line.endIndex - 1] == UInt8(ascii: "}")
        else { return nil }
        var hasher = SHA256()
        hasher.update(data: line[line.startIndex..<cut])
        hasher.update(data: [UInt8(ascii: "}")])
        return Hex.lowercase(hasher.finalize())
    }

    /// The digest a signed line's `sig` covers: SHA-256 (hex) over the line up to its
    /// `,"sig":"…"` member, followed by `}`; `nil` when the line has no `sig` member right
    /// before its `hash` member.
    public static func signedDigest(of line: ArraySlice<UInt8>) -> String? {
        guard line.count > hashSuffixLength + signatureMemberLength + 1 else { return nil }
        let cut = line.endIndex - hashSuffixLength - signatureMemberLength
        guard line[cut..<(cut + 8)].elementsEqual(#","sig":""#.utf8),
              line[line.endIndex - hashSuffixLength - 1] == UInt8(ascii: "\"")
        else { return nil }
        var hasher = SHA256()
        hasher.update(data: line[line.startIndex..<cut])
        hasher.update(data: [UInt8(ascii: "}")])
        return Hex.lowercase(hasher.finalize())
    }

    /// Reads one line (without its newline).
    ///
    /// - Throws: `AuditLineError` when it is not a well-formed audit record.
    public static func decode(_ line: some Collection<UInt8>) throws(AuditLineError) -> ChainedAuditRecord {
        let fields: AuditLineFields
        do {
            fields = try JSONDecoder().decode(AuditLineFields.self, from: Data(line))
        } catch {
            throw AuditLineError("not a JSON audit record")
        }
        guard let time = RFC3339.parse(fields.time) else { throw AuditLineError("time is not an RFC 3339 UTC timestamp") }
        guard let outcome = AuditRecord.Outcome(rawValue: fields.outcome) else { throw AuditLineError("unknown outcome") }
        let checkpoint = try fields.checkpoint.map { text throws(AuditLineError) in
            guard let reason = AuditRecord.Checkpoint(rawValue: text) else { throw AuditLineError("unknown checkpoint reason") }
            return reason
        }
        if let signature = fields.sig {
            guard signature.utf8.count == AuditSignature.base64Length, let bytes = Data(base64Encoded: signature), bytes.count == 64 else {
                throw AuditLineError("sig is not the base64 of a 64-byte Ed25519 signature")
            }
        }
        let record = AuditRecord(
            time: time, requestID: fields.requestId, batchIndex: fields.batchIndex, node: fields.node, principal: fields.principal,
            proxy: fields.proxy,
            source: fields.source, action: fields.action, keyID: fields.keyId, keyVersion: fields.keyVersion, alias: fields.alias,
            destinationKeyID: fields.destinationKeyId, destinationKeyVersion: fields.destinationKeyVersion,
            outcome: outcome, reason: fields.reason, encryptionContextKeys: fields.encryptionContextKeys ?? [],
            encryptionContextHMAC: fields.encryptionContextHmac, encryptionContext: fields.encryptionContext,
            grantID: fields.grantId, throttledSinceLastRecord: fields.throttledSinceLastRecord, checkpoint: checkpoint
        )
        return ChainedAuditRecord(sequence: fields.seq, record: record, previousHash: fields.prevHash, hash: fields.hash, signature: fields.sig)
    }

    static func hexSHA256(_ bytes: [UInt8]) -> String {
        Hex.lowercase(SHA256.hash(data: bytes))
    }
}

/// A line that is not an audit record; the message says what is wrong with it.
public struct AuditLineError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// The members of a line. (Not `convertFromSnakeCase`: it would rename the keys of
/// `encryption_context` too.)
private struct AuditLineFields: Decodable {
    let seq: UInt64
    let time: String
    let requestId: String
    let batchIndex: Int?
    let node: String?
    let principal: String
    let proxy: String?
    let source: String?
    let action: String
    let keyId: String?
    let keyVersion: UInt32?
    let alias: String?
    let destinationKeyId: String?
    let destinationKeyVersion: UInt32?
    let outcome: String
    let reason: String?
    let encryptionContextKeys: [String]?
    let encryptionContextHmac: String?
    let encryptionContext: [String: String]?
    let grantId: String?
    let throttledSinceLastRecord: Int?
    let checkpoint: String?
    let prevHash: String
    let sig: String?
    let hash: String

    enum CodingKeys: String, CodingKey {
        case seq, time, node, principal, proxy, source, action, alias, outcome, reason, checkpoint, sig, hash
        case requestId = "request_id", batchIndex = "batch_index", keyId = "key_id", keyVersion = "key_version"
        case destinationKeyId = "destination_key_id", destinationKeyVersion = "destination_key_version"
        case encryptionContextKeys = "encryption_context_keys", encryptionContextHmac = "encryption_context_hmac"
        case encryptionContext = "encryption_context", grantId = "grant_id", prevHash = "prev_hash"
        case throttledSinceLastRecord = "throttled_since_last_record"
    }
}
