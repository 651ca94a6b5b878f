/// The DER forms of Ed25519 keys (RFC 8410), which swift-crypto does not produce: both are a
/// fixed header followed by the 32 raw bytes.
enum Ed25519Encoding {
    /// `SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (32 bytes) }`.
    static let publicKeyHeader: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]
    /// `SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING (32 bytes) } }`.
    static let privateKeyHeader: [UInt8] = [
        0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ]
    /// The length of Ed25519 public keys and private seeds.
    static let rawByteCount = 32

    static func subjectPublicKeyInfo(rawPublicKey: [UInt8]) -> [UInt8] {
        publicKeyHeader + rawPublicKey
    }

    /// The raw key of a SubjectPublicKeyInfo, or `nil` when `der` is not an Ed25519 one.
    static func rawPublicKey(fromSubjectPublicKeyInfo der: [UInt8]) -> [UInt8]? {
        guard der.count == publicKeyHeader.count + rawByteCount, der.starts(with: publicKeyHeader) else { return nil }
        return Array(der.dropFirst(publicKeyHeader.count))
    }

    /// The 32-byte seed inside a PKCS#8 Ed25519 private key, or `nil` for anything else.
    static func seed(fromPKCS8 der: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard der.count == privateKeyHeader.count + rawByteCount, der.starts(with: privateKeyHeader) else { return nil }
        return UnsafeRawBufferPointer(rebasing: der[privateKeyHeader.count...])
    }
}
