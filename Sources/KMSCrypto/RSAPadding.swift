import KMSCore
import _CryptoExtras

/// The swift-crypto RSA paddings of the KMS's RSA algorithms.
enum RSAPadding {
    /// PSS (salt as long as the digest) or PKCS#1 v1.5 for an RSASSA algorithm.
    static func signing(_ algorithm: SigningAlgorithm) -> _RSA.Signing.Padding {
        switch algorithm {
        case .rsassaPKCS1V15SHA256, .rsassaPKCS1V15SHA384, .rsassaPKCS1V15SHA512: .insecurePKCS1v1_5
        default: .PSS
        }
    }

    /// OAEP with SHA-256 or SHA-1; `nil` for SYMMETRIC_DEFAULT.
    static func encryption(_ algorithm: EncryptionAlgorithm) -> _RSA.Encryption.Padding? {
        switch algorithm {
        case .rsaesOAEPSHA256: .PKCS1_OAEP_SHA256
        case .rsaesOAEPSHA1: .PKCS1_OAEP
        case .symmetricDefault: nil
        }
    }

    /// - Throws: `.validation` when `count` bytes do not fit one OAEP block of the key.
    static func checkPlaintextLength(_ count: Int, algorithm: EncryptionAlgorithm, spec: KeySpec) throws(KMSError) {
        guard let bits = spec.rsaBitCount, let limit = algorithm.maxPlaintextByteCount(rsaBitCount: bits) else { return }
        guard (1...limit).contains(count) else {
            throw KMSError(
                .validation,
                "plaintext must be 1–\(limit) bytes for \(algorithm.rawValue) with a \(spec.rawValue) key, got \(count)"
            )
        }
    }
}
