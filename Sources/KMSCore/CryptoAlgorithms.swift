/// The hash functions the signature and MAC algorithms use.
public enum DigestAlgorithm: Sendable {
    case sha256, sha384, sha512

    /// The digest length in bytes.
    public var byteCount: Int {
        switch self {
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }
}

/// How Sign and Verify read the message: the message itself, or its digest.
public enum MessageType: String, Sendable, CaseIterable {
    /// The server hashes the message (at most 4096 bytes).
    case raw = "RAW"
    /// The caller hashed the message; the bytes are exactly the digest.
    case digest = "DIGEST"
}

/// A signature algorithm, named as in AWS KMS.
public enum SigningAlgorithm: String, Sendable, CaseIterable {
    /// ECDSA; signatures are DER-encoded `ECDSA-Sig-Value`.
    case ecdsaSHA256 = "ECDSA_SHA_256"
    case ecdsaSHA384 = "ECDSA_SHA_384"
    case ecdsaSHA512 = "ECDSA_SHA_512"
    /// Pure Ed25519 over the message itself.
    case ed25519 = "ED25519"
    /// RSASSA-PSS, MGF1 with the same hash, salt as long as the digest.
    case rsassaPSSSHA256 = "RSASSA_PSS_SHA_256"
    case rsassaPSSSHA384 = "RSASSA_PSS_SHA_384"
    case rsassaPSSSHA512 = "RSASSA_PSS_SHA_512"
    /// RSASSA-PKCS1-v1_5.
    case rsassaPKCS1V15SHA256 = "RSASSA_PKCS1_V1_5_SHA_256"
    case rsassaPKCS1V15SHA384 = "RSASSA_PKCS1_V1_5_SHA_384"
    case rsassaPKCS1V15SHA512 = "RSASSA_PKCS1_V1_5_SHA_512"

    /// The hash of the message, or `nil` for Ed25519, which signs the message itself.
    public var digestAlgorithm: DigestAlgorithm? {
        switch self {
        case .ecdsaSHA256, .rsassaPSSSHA256, .rsassaPKCS1V15SHA256: .sha256
        case .ecdsaSHA384, .rsassaPSSSHA384, .rsassaPKCS1V15SHA384: .sha384
        case .ecdsaSHA512, .rsassaPSSSHA512, .rsassaPKCS1V15SHA512: .sha512
        case .ed25519: nil
        }
    }
}

/// An encryption algorithm for Encrypt and Decrypt.
public enum EncryptionAlgorithm: String, Sendable, CaseIterable {
    /// The AES-256-GCM envelope blob of SYMMETRIC_DEFAULT keys.
    case symmetricDefault = "SYMMETRIC_DEFAULT"
    /// RSA-OAEP with SHA-256 (and MGF1-SHA-256).
    case rsaesOAEPSHA256 = "RSAES_OAEP_SHA_256"
    /// RSA-OAEP with SHA-1 (and MGF1-SHA-1), for older clients.
    case rsaesOAEPSHA1 = "RSAES_OAEP_SHA_1"

    /// The longest plaintext RSA-OAEP takes under a modulus of `rsaBitCount` bits:
    /// k − 2·hLen − 2 (RFC 8017 §7.1.1); `nil` for SYMMETRIC_DEFAULT.
    public func maxPlaintextByteCount(rsaBitCount: Int) -> Int? {
        let hashLength: Int
        switch self {
        case .symmetricDefault: return nil
        case .rsaesOAEPSHA256: hashLength = 32
        case .rsaesOAEPSHA1: hashLength = 20
        }
        return rsaBitCount / 8 - 2 * hashLength - 2
    }
}

/// A MAC algorithm.
public enum MACAlgorithm: String, Sendable, CaseIterable {
    case hmacSHA256 = "HMAC_SHA_256"
    case hmacSHA384 = "HMAC_SHA_384"
    case hmacSHA512 = "HMAC_SHA_512"

    /// The hash of the HMAC; its length is the tag's length.
    public var digestAlgorithm: DigestAlgorithm {
        switch self {
        case .hmacSHA256: .sha256
        case .hmacSHA384: .sha384
        case .hmacSHA512: .sha512
        }
    }
}

/// The kind of key pair GenerateDataKeyPair makes.
public enum DataKeyPairSpec: String, Sendable, CaseIterable {
    case eccNistP256 = "ECC_NIST_P256"
    case eccNistP384 = "ECC_NIST_P384"
    case eccNistP521 = "ECC_NIST_P521"
    case ed25519 = "ED25519"
    case rsa2048 = "RSA_2048"
    case rsa3072 = "RSA_3072"
    case rsa4096 = "RSA_4096"

    /// The key spec of the same kind of key.
    public var keySpec: KeySpec {
        switch self {
        case .eccNistP256: .eccNistP256
        case .eccNistP384: .eccNistP384
        case .eccNistP521: .eccNistP521
        case .ed25519: .ed25519
        case .rsa2048: .rsa2048
        case .rsa3072: .rsa3072
        case .rsa4096: .rsa4096
        }
    }
}
