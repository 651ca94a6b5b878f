import KMSCore
import KMSCrypto

/// One private key per asymmetric spec, made by ``AsymmetricPrivateKey/generate(_:)`` on
/// first use and shared by every test of the run: RSA 3072 and 4096 generation takes seconds
/// in debug builds, so each size is generated once. Each `static let` is initialised exactly
/// once, even when parallel tests ask at the same time.
enum SharedKeys {
    /// A generated key and how long generating it took.
    struct Generated: Sendable {
        let key: AsymmetricPrivateKey
        let duration: Duration
    }

    /// The shared key of `spec`.
    ///
    /// - Throws: What generating it threw; `.invalidKeyUsage` for a spec with no private key.
    static func key(_ spec: KeySpec) throws(KMSError) -> AsymmetricPrivateKey {
        try generated(spec).key
    }

    static func generated(_ spec: KeySpec) throws(KMSError) -> Generated {
        switch spec {
        case .eccNistP256: try p256.get()
        case .eccNistP384: try p384.get()
        case .eccNistP521: try p521.get()
        case .ed25519: try ed25519.get()
        case .rsa2048: try rsa2048.get()
        case .rsa3072: try rsa3072.get()
        case .rsa4096: try rsa4096.get()
        case .symmetricDefault, .hmac256, .hmac384, .hmac512:
            throw KMSError(.invalidKeyUsage, "\(spec.rawValue) has no private key")
        }
    }

    /// A second RSA 2048 key, for decrypting under the wrong key.
    static func otherRSA2048() throws(KMSError) -> AsymmetricPrivateKey {
        try otherRSA2048Key.get().key
    }

    private static let p256 = generate(.eccNistP256)
    private static let p384 = generate(.eccNistP384)
    private static let p521 = generate(.eccNistP521)
    private static let ed25519 = generate(.ed25519)
    private static let rsa2048 = generate(.rsa2048)
    private static let rsa3072 = generate(.rsa3072)
    private static let rsa4096 = generate(.rsa4096)
    private static let otherRSA2048Key = generate(.rsa2048)

    private static func generate(_ spec: KeySpec) -> Result<Generated, KMSError> {
        let clock = ContinuousClock()
        let start = clock.now
        let result = Result { () throws(KMSError) in try AsymmetricPrivateKey.generate(spec) }
        let duration = clock.now - start
        if spec.rsaBitCount != nil {
            print("SharedKeys: generated a \(spec.rawValue) key in \(duration)")
        }
        return result.map { Generated(key: $0, duration: duration) }
    }
}
