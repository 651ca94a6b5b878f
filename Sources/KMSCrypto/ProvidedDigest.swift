import Crypto
import KMSCore

/// Digest bytes a caller computed (Sign and Verify with `MESSAGE_TYPE_DIGEST`), as the
/// swift-crypto digest value of their hash function.
///
/// swift-crypto chooses the RSA hash from the digest's *type* and offers no public way to
/// make a digest value from bytes, so the bytes are reinterpreted as the digest struct,
/// whose storage is exactly the digest. The result is compared with the input before it is
/// used: should swift-crypto's layout ever change, the call fails instead of signing
/// something else.
enum ProvidedDigest {
    /// The digest value of `bytes` for `hash`.
    ///
    /// - Throws: `.validation` when `bytes` is not exactly the digest length;
    ///   `.internalFailure` when swift-crypto's digest layout is not the expected one.
    static func digest(_ bytes: [UInt8], hash: DigestAlgorithm) throws(KMSError) -> AnyMessageDigest {
        guard bytes.count == hash.byteCount else {
            throw KMSError(.validation, "message must be exactly \(hash.byteCount) bytes for a \(hash) digest, got \(bytes.count)")
        }
        let words = bytes.withUnsafeBytes { raw in
            (0..<bytes.count / 8).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self) }
        }
        let digest: AnyMessageDigest
        switch hash {
        case .sha256: digest = .sha256(try reinterpret((words[0], words[1], words[2], words[3])))
        case .sha384: digest = .sha384(try reinterpret((words[0], words[1], words[2], words[3], words[4], words[5])))
        case .sha512:
            digest = .sha512(try reinterpret((words[0], words[1], words[2], words[3], words[4], words[5], words[6], words[7])))
        }
        guard digest.bytes == bytes else {
            throw KMSError(.internalFailure, "swift-crypto's digest layout changed; DIGEST messages cannot be signed")
        }
        return digest
    }

    private static func reinterpret<Words, Result: Digest>(_ words: Words) throws(KMSError) -> Result {
        guard MemoryLayout<Words>.size == MemoryLayout<Result>.size, MemoryLayout<Result>.size == Result.byteCount else {
            throw KMSError(.internalFailure, "swift-crypto's digest layout changed; DIGEST messages cannot be signed")
        }
        return unsafeBitCast(words, to: Result.self)
    }
}

/// A SHA-2 digest of one of the three lengths the signature algorithms use.
enum AnyMessageDigest {
    case sha256(SHA256.Digest)
    case sha384(SHA384.Digest)
    case sha512(SHA512.Digest)

    /// Hashes `message` with `hash`.
    init(hashing message: [UInt8], with hash: DigestAlgorithm) {
        switch hash {
        case .sha256: self = .sha256(SHA256.hash(data: message))
        case .sha384: self = .sha384(SHA384.hash(data: message))
        case .sha512: self = .sha512(SHA512.hash(data: message))
        }
    }

    /// The digest bytes.
    var bytes: [UInt8] {
        switch self {
        case .sha256(let digest): Array(digest)
        case .sha384(let digest): Array(digest)
        case .sha512(let digest): Array(digest)
        }
    }
}
