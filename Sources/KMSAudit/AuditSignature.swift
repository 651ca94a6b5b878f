import Crypto
import Foundation
import KMSCore

/// The Ed25519 signatures of the audit chain (docs/AUDIT.md, "Signatures").
///
/// A signature covers one line: the SHA-256, in hex, of the line without its `sig` member
/// (and without what follows it), prefixed with a label that says what kind of line it is,
/// so a record's signature cannot pass for a checkpoint's and the other way round:
///
///     "swift-kms/v1/audit-record\n" + hex(SHA-256(line up to ,"sig" + "}"))
///     "swift-kms/v1/audit-checkpoint\n" + hex(SHA-256(line up to ,"sig" + "}"))
///
/// The digest of a record's line without `sig` is the hash that line would have without the
/// signature; it covers `prev_hash`, so each signature vouches for the whole chain before it.
public enum AuditSignature {
    /// What a signature is over.
    public enum Kind: Sendable {
        /// A record of the audit log.
        case record
        /// A line of a checkpoint file.
        case checkpoint

        var label: String {
            switch self {
            case .record: "swift-kms/v1/audit-record\n"
            case .checkpoint: "swift-kms/v1/audit-checkpoint\n"
            }
        }
    }

    /// The length of a signature in base64 (64 bytes, with `==` padding).
    static let base64Length = 88

    /// The bytes that are signed for a line whose digest (without `sig`) is `digestHex`.
    public static func message(_ kind: Kind, digestHex: String) -> [UInt8] {
        Array(kind.label.utf8) + Array(digestHex.utf8)
    }
}

/// The server's audit signing key: an Ed25519 private key derived from the root key
/// (`RootKey.auditSigningKey()`). Never printed.
struct AuditSigner: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let key: Curve25519.Signing.PrivateKey
    /// The public key that checks what this key signs.
    let verificationKey: AuditVerificationKey

    init(_ key: Curve25519.Signing.PrivateKey) {
        self.key = key
        self.verificationKey = AuditVerificationKey(key.publicKey)
    }

    /// The base64 signature of a line of `kind` whose digest without `sig` is `digestHex`.
    func sign(_ kind: AuditSignature.Kind, digestHex: String) -> String {
        do {
            return try key.signature(for: AuditSignature.message(kind, digestHex: digestHex)).base64EncodedString()
        } catch {
            // BoringSSL's Ed25519 signing does not fail for a valid key.
            fatalError("Ed25519 signing failed: \(error)")
        }
    }

    var description: String { "AuditSigner(Ed25519, key id \(verificationKey.keyID))" }
    var debugDescription: String { description }
    var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// The public key that checks the audit log's signatures: what an auditor is given
/// (`kmsd audit export-verification-key`, `kmsctl audit verify --verification-key`).
public struct AuditVerificationKey: Sendable, Equatable, CustomStringConvertible {
    /// `SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (32 bytes) }` before the raw key
    /// (RFC 8410), the DER of an Ed25519 SubjectPublicKeyInfo.
    private static let subjectPublicKeyInfoHeader: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]

    private let key: Curve25519.Signing.PublicKey

    init(_ key: Curve25519.Signing.PublicKey) {
        self.key = key
    }

    /// The public key of `signingKey`.
    public init(signingKey: Curve25519.Signing.PrivateKey) {
        self.key = signingKey.publicKey
    }

    /// The key from its 32 raw bytes.
    ///
    /// - Throws: `AuditVerificationKeyError` when `raw` is not 32 bytes.
    public init(rawRepresentation raw: some Collection<UInt8>) throws(AuditVerificationKeyError) {
        guard raw.count == 32, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: Array(raw)) else {
            throw AuditVerificationKeyError("an Ed25519 public key is 32 bytes, not \(raw.count)")
        }
        self.key = key
    }

    /// Reads the key as `export-verification-key` prints it (PEM, `BEGIN PUBLIC KEY`), or as
    /// the base64 of its 32 raw bytes or of its DER SubjectPublicKeyInfo.
    ///
    /// - Throws: `AuditVerificationKeyError` when `text` is none of these.
    public init(text: String) throws(AuditVerificationKeyError) {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let body: String
        if lines.first == "-----BEGIN PUBLIC KEY-----" {
            guard let end = lines.firstIndex(of: "-----END PUBLIC KEY-----") else {
                throw AuditVerificationKeyError("the PEM block has no END PUBLIC KEY line")
            }
            body = lines[1..<end].joined()
        } else if lines.count == 1 {
            body = lines[0]
        } else {
            throw AuditVerificationKeyError("not a PEM public key (BEGIN PUBLIC KEY) or one line of base64")
        }
        guard let bytes = Data(base64Encoded: body).map(Array.init) else {
            throw AuditVerificationKeyError("the key is not valid base64")
        }
        if bytes.count == Self.subjectPublicKeyInfoHeader.count + 32, bytes.starts(with: Self.subjectPublicKeyInfoHeader) {
            try self.init(rawRepresentation: bytes.dropFirst(Self.subjectPublicKeyInfoHeader.count))
        } else if bytes.count == 32 {
            try self.init(rawRepresentation: bytes)
        } else {
            throw AuditVerificationKeyError("not an Ed25519 public key (expected a SubjectPublicKeyInfo or 32 raw bytes, got \(bytes.count) bytes)")
        }
    }

    /// The 32 raw bytes.
    public var rawRepresentation: [UInt8] { Array(key.rawRepresentation) }

    /// The key as PEM (`-----BEGIN PUBLIC KEY-----`, an RFC 8410 SubjectPublicKeyInfo), as
    /// OpenSSL and most libraries read it; ends with a newline.
    public var pemRepresentation: String {
        let der = Data(Self.subjectPublicKeyInfoHeader + rawRepresentation)
        return "-----BEGIN PUBLIC KEY-----\n\(der.base64EncodedString())\n-----END PUBLIC KEY-----\n"
    }

    /// A short name for the key in messages: the first 16 hex digits of the SHA-256 of its
    /// raw bytes.
    public var keyID: String {
        String(Hex.lowercase(SHA256.hash(data: rawRepresentation)).prefix(16))
    }

    /// Whether `signatureBase64` is this key's signature of a line of `kind` whose digest
    /// without `sig` is `digestHex`.
    public func isValidSignature(_ signatureBase64: String, _ kind: AuditSignature.Kind, digestHex: String) -> Bool {
        guard let signature = Data(base64Encoded: signatureBase64), signature.count == 64 else { return false }
        return key.isValidSignature(signature, for: AuditSignature.message(kind, digestHex: digestHex))
    }

    public var description: String { "Ed25519 audit verification key \(keyID)" }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.rawRepresentation == rhs.rawRepresentation
    }
}

/// A verification key that cannot be read; the message says why.
public struct AuditVerificationKeyError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
