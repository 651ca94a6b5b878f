import Crypto
import KMSCore

/// The secret of one version of an HMAC key, in zeroed-on-free storage. It never prints
/// (`MACKey(HMAC_256)`) and is not `Codable`.
public struct MACKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let secret: SecretBytes
    /// The kind of key.
    public let spec: KeySpec

    /// A key of `spec` from the given bytes. Stored keys have the spec's length (32, 48 or
    /// 64 bytes); tests may use any length, as HMAC allows.
    package init(secret: SecretBytes, spec: KeySpec) {
        self.secret = secret
        self.spec = spec
    }

    /// Lends the raw key bytes to `body`, only inside this package: tests use it to prove
    /// that HMAC keys never reach a file in the clear.
    package func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try secret.storage.withUnsafeBytes(body)
    }

    /// The key length of an HMAC spec: the digest length of its hash.
    static func byteCount(of spec: KeySpec) -> Int? {
        spec.macAlgorithms.first?.digestAlgorithm.byteCount
    }

    /// A fresh key of `spec` from the system's secure random generator.
    ///
    /// - Throws: `.invalidKeyUsage` for a spec that is not HMAC.
    public static func generate(_ spec: KeySpec) throws(KMSError) -> MACKey {
        guard let count = byteCount(of: spec) else {
            throw KMSError(.invalidKeyUsage, "\(spec.rawValue) is not an HMAC key spec")
        }
        return MACKey(secret: .random(count: count), spec: spec)
    }

    /// The full-length HMAC tag of `message`.
    ///
    /// - Throws: `.invalidKeyUsage` when `algorithm` is not the spec's.
    public func mac(for message: [UInt8], algorithm: MACAlgorithm) throws(KMSError) -> [UInt8] {
        try require(algorithm)
        switch algorithm {
        case .hmacSHA256: return Array(HMAC<SHA256>.authenticationCode(for: message, using: secret.storage))
        case .hmacSHA384: return Array(HMAC<SHA384>.authenticationCode(for: message, using: secret.storage))
        case .hmacSHA512: return Array(HMAC<SHA512>.authenticationCode(for: message, using: secret.storage))
        }
    }

    /// Whether `tag` is the HMAC of `message`, compared in constant time.
    ///
    /// - Throws: `.invalidKeyUsage` when `algorithm` is not the spec's; `.validation`
    ///   when `tag` is not full length (truncated tags are not accepted).
    public func isValid(_ tag: [UInt8], for message: [UInt8], algorithm: MACAlgorithm) throws(KMSError) -> Bool {
        try require(algorithm)
        let length = algorithm.digestAlgorithm.byteCount
        guard tag.count == length else {
            throw KMSError(.validation, "mac must be the full \(length)-byte \(algorithm.rawValue) tag, got \(tag.count) bytes")
        }
        switch algorithm {
        case .hmacSHA256: return HMAC<SHA256>.isValidAuthenticationCode(tag, authenticating: message, using: secret.storage)
        case .hmacSHA384: return HMAC<SHA384>.isValidAuthenticationCode(tag, authenticating: message, using: secret.storage)
        case .hmacSHA512: return HMAC<SHA512>.isValidAuthenticationCode(tag, authenticating: message, using: secret.storage)
        }
    }

    private func require(_ algorithm: MACAlgorithm) throws(KMSError) {
        guard spec.macAlgorithms.contains(algorithm) else {
            let allowed = spec.macAlgorithms.map(\.rawValue).joined(separator: ", ")
            throw KMSError(
                .invalidKeyUsage,
                "mac_algorithm \(algorithm.rawValue) does not fit a \(spec.rawValue) key" + (allowed.isEmpty ? "" : "; use \(allowed)")
            )
        }
    }

    /// `MACKey(SPEC)`; never the bytes.
    public var description: String { "MACKey(\(spec.rawValue))" }

    /// `MACKey(SPEC)`; never the bytes.
    public var debugDescription: String { description }

    /// A mirror without children, so `dump` and reflection show no bytes.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
