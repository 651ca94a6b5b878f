import KMSCore

/// The secret material of one key version, by kind of key: an AES key, a private key, or
/// an HMAC key. Wrapped under the root key at rest (``RootKey/wrap(_:keyID:version:)``);
/// never printed.
public enum VersionMaterial: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// SYMMETRIC_DEFAULT.
    case symmetric(KeyMaterial)
    /// ECC, Ed25519 and RSA.
    case asymmetric(AsymmetricPrivateKey)
    /// HMAC.
    case mac(MACKey)

    /// Fresh material for a new key of `spec`.
    ///
    /// - Throws: `.internalFailure` when the library fails to make a key.
    public static func generate(for spec: KeySpec) throws(KMSError) -> VersionMaterial {
        switch spec {
        case .symmetricDefault: .symmetric(.generate())
        case .hmac256, .hmac384, .hmac512: .mac(try .generate(spec))
        case .eccNistP256, .eccNistP384, .eccNistP521, .ed25519, .rsa2048, .rsa3072, .rsa4096:
            .asymmetric(try .generate(spec))
        }
    }

    /// Reads unwrapped bytes as material of a key of `spec`.
    ///
    /// - Throws: `.internalFailure` when the bytes do not fit the spec.
    init(unwrapped bytes: SecretBytes, spec: KeySpec) throws(KMSError) {
        switch spec {
        case .symmetricDefault:
            self = .symmetric(try KeyMaterial(stored: bytes))
        case .hmac256, .hmac384, .hmac512:
            guard bytes.count == MACKey.byteCount(of: spec) else {
                throw KMSError(.internalFailure, "stored HMAC material has the wrong length for \(spec.rawValue)")
            }
            self = .mac(MACKey(secret: bytes, spec: spec))
        case .eccNistP256, .eccNistP384, .eccNistP521, .ed25519, .rsa2048, .rsa3072, .rsa4096:
            self = .asymmetric(try AsymmetricPrivateKey(pkcs8: bytes, spec: spec))
        }
    }

    /// The spec of the key the material belongs to.
    public var spec: KeySpec {
        switch self {
        case .symmetric: .symmetricDefault
        case .asymmetric(let key): key.spec
        case .mac(let key): key.spec
        }
    }

    /// The bytes that are wrapped at rest: the AES key, the PKCS#8 private key, the HMAC key.
    var storedBytes: SecretBytes {
        switch self {
        case .symmetric(let material): SecretBytes(storage: material.key)
        case .asymmetric(let key): key.pkcs8
        case .mac(let key): key.secret
        }
    }

    /// The AES key of a SYMMETRIC_DEFAULT version.
    ///
    /// - Throws: `.invalidKeyUsage` for any other kind.
    public func symmetricKey() throws(KMSError) -> KeyMaterial {
        guard case .symmetric(let material) = self else { throw Self.wrongKind("symmetric") }
        return material
    }

    /// The private key of an ECC, Ed25519 or RSA version.
    ///
    /// - Throws: `.invalidKeyUsage` for any other kind.
    public func privateKey() throws(KMSError) -> AsymmetricPrivateKey {
        guard case .asymmetric(let key) = self else { throw Self.wrongKind("asymmetric") }
        return key
    }

    /// The HMAC key of an HMAC version.
    ///
    /// - Throws: `.invalidKeyUsage` for any other kind.
    public func macKey() throws(KMSError) -> MACKey {
        guard case .mac(let key) = self else { throw Self.wrongKind("HMAC") }
        return key
    }

    private static func wrongKind(_ kind: String) -> KMSError {
        KMSError(.invalidKeyUsage, "the key is not a \(kind) key")
    }

    /// The kind and size of the material; never its bytes.
    public var description: String {
        switch self {
        case .symmetric(let material): material.description
        case .asymmetric(let key): key.description
        case .mac(let key): key.description
        }
    }

    /// The kind and size of the material; never its bytes.
    public var debugDescription: String { description }

    /// A mirror without children, so `dump` and reflection show no bytes.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .enum) }
}
