import Crypto
import Foundation
import KMSCore
import _CryptoExtras

/// The private key of one version of an ECC, Ed25519 or RSA key, held in swift-crypto (and
/// so BoringSSL) key objects.
///
/// At rest it is PKCS#8 DER wrapped under the root key (``pkcs8``). It never prints
/// (`AsymmetricPrivateKey(ECC_NIST_P256)`) and is not `Codable`.
public struct AsymmetricPrivateKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    enum Backing: Sendable {
        case p256(P256.Signing.PrivateKey)
        case p384(P384.Signing.PrivateKey)
        case p521(P521.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
        case rsa(signing: _RSA.Signing.PrivateKey, encryption: RSADecryptionKey)
    }

    let backing: Backing
    /// The kind of key.
    public let spec: KeySpec

    private init(_ backing: Backing, spec: KeySpec) {
        self.backing = backing
        self.spec = spec
    }

    /// A fresh key from the system's secure random generator, checked by a pairwise-consistency
    /// test (``PairwiseConsistency``) before it is returned.
    ///
    /// - Throws: `.invalidKeyUsage` for a spec without a private key; `.internalFailure`
    ///   when the library fails to make one or the new key fails its pairwise-consistency test.
    public static func generate(_ spec: KeySpec) throws(KMSError) -> AsymmetricPrivateKey {
        let key = try generateUnchecked(spec)
        try PairwiseConsistency.check(key)
        return key
    }

    private static func generateUnchecked(_ spec: KeySpec) throws(KMSError) -> AsymmetricPrivateKey {
        do {
            switch spec {
            case .eccNistP256: return AsymmetricPrivateKey(.p256(P256.Signing.PrivateKey()), spec: spec)
            case .eccNistP384: return AsymmetricPrivateKey(.p384(P384.Signing.PrivateKey()), spec: spec)
            case .eccNistP521: return AsymmetricPrivateKey(.p521(P521.Signing.PrivateKey()), spec: spec)
            case .ed25519: return AsymmetricPrivateKey(.ed25519(Curve25519.Signing.PrivateKey()), spec: spec)
            case .rsa2048, .rsa3072, .rsa4096:
                let signing = try _RSA.Signing.PrivateKey(keySize: .init(bitCount: spec.rsaBitCount ?? 0))
                let encryption = RSADecryptionKey(try _RSA.Encryption.PrivateKey(derRepresentation: signing.derRepresentation))
                return AsymmetricPrivateKey(.rsa(signing: signing, encryption: encryption), spec: spec)
            case .symmetricDefault, .hmac256, .hmac384, .hmac512:
                throw KMSError(.invalidKeyUsage, "\(spec.rawValue) is not an asymmetric key spec")
            }
        } catch let error as KMSError {
            throw error
        } catch {
            throw KMSError(.internalFailure, "making a \(spec.rawValue) key failed")
        }
    }

    /// Reads a PKCS#8 DER private key of `spec`.
    ///
    /// - Throws: `.internalFailure` when the bytes are not such a key (stored material is
    ///   the only source of PKCS#8 here).
    public init(pkcs8: SecretBytes, spec: KeySpec) throws(KMSError) {
        let backing: Backing? = pkcs8.withUnsafeBytes { der in
            switch spec {
            case .eccNistP256: (try? P256.Signing.PrivateKey(derRepresentation: der)).map(Backing.p256)
            case .eccNistP384: (try? P384.Signing.PrivateKey(derRepresentation: der)).map(Backing.p384)
            case .eccNistP521: (try? P521.Signing.PrivateKey(derRepresentation: der)).map(Backing.p521)
            case .ed25519:
                Ed25519Encoding.seed(fromPKCS8: der)
                    .flatMap { try? Curve25519.Signing.PrivateKey(rawRepresentation: $0) }
                    .map(Backing.ed25519)
            case .rsa2048, .rsa3072, .rsa4096:
                Self.rsaBacking(der, bitCount: spec.rsaBitCount)
            case .symmetricDefault, .hmac256, .hmac384, .hmac512:
                nil
            }
        }
        guard let backing else {
            throw KMSError(.internalFailure, "stored material is not a PKCS#8 \(spec.rawValue) private key")
        }
        self.init(backing, spec: spec)
    }

    private static func rsaBacking(_ der: UnsafeRawBufferPointer, bitCount: Int?) -> Backing? {
        guard let signing = try? _RSA.Signing.PrivateKey(derRepresentation: der), signing.keySizeInBits == bitCount,
              let encryption = (try? _RSA.Encryption.PrivateKey(derRepresentation: der)).map(RSADecryptionKey.init)
        else { return nil }
        return .rsa(signing: signing, encryption: encryption)
    }

    /// The key as PKCS#8 DER (RFC 5208 / RFC 8410), in zeroed-on-free storage. swift-crypto
    /// hands the encoding out as `Data`, which this copies and cannot zero: for Ed25519 that
    /// `Data` shares the key's own storage (`Data(SecureBytes)`), so zeroing it would zero
    /// the key.
    public var pkcs8: SecretBytes {
        switch backing {
        case .p256(let key): SecretBytes(copying: key.derRepresentation)
        case .p384(let key): SecretBytes(copying: key.derRepresentation)
        case .p521(let key): SecretBytes(copying: key.derRepresentation)
        case .ed25519(let key): Self.ed25519PKCS8(seed: SecretBytes(copying: key.rawRepresentation))
        case .rsa(let signing, _): SecretBytes(copying: signing.pkcs8DERRepresentation)
        }
    }

    private static func ed25519PKCS8(seed: SecretBytes) -> SecretBytes {
        var scratch = Ed25519Encoding.privateKeyHeader
        seed.withUnsafeBytes { scratch.append(contentsOf: $0) }
        defer { scratch.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
        return SecretBytes(copying: scratch)
    }

    /// The public half.
    public var publicKey: AsymmetricPublicKey {
        switch backing {
        case .p256(let key): AsymmetricPublicKey(.p256(key.publicKey), spec: spec)
        case .p384(let key): AsymmetricPublicKey(.p384(key.publicKey), spec: spec)
        case .p521(let key): AsymmetricPublicKey(.p521(key.publicKey), spec: spec)
        case .ed25519(let key): AsymmetricPublicKey(.ed25519(key.publicKey), spec: spec)
        case .rsa(let signing, _): AsymmetricPublicKey(.rsa(signing.publicKey), spec: spec)
        }
    }

    /// Signs `input` with `algorithm`. ECDSA signatures are DER-encoded.
    ///
    /// - Throws: `.invalidKeyUsage` when `algorithm` is not one of the spec's;
    ///   `.validation` for a DIGEST of the wrong length or a DIGEST with Ed25519;
    ///   `.internalFailure` when the library fails.
    public func sign(_ input: SigningInput, algorithm: SigningAlgorithm) throws(KMSError) -> [UInt8] {
        try SigningAlgorithmCheck.require(algorithm, for: spec)
        if case .ed25519(let key) = backing {
            let message = try input.rawMessage()
            return try Self.librarySigning { Array(try key.signature(for: message)) }
        }
        guard let hash = algorithm.digestAlgorithm else {
            throw KMSError(.internalFailure, "\(algorithm.rawValue) has no hash function")
        }
        let digest = try input.digest(with: hash)
        return try Self.librarySigning { () throws -> [UInt8] in
            switch (backing, digest) {
            case (.p256(let key), .sha256(let digest)): return Array(try key.signature(for: digest).derRepresentation)
            case (.p384(let key), .sha384(let digest)): return Array(try key.signature(for: digest).derRepresentation)
            case (.p521(let key), .sha512(let digest)): return Array(try key.signature(for: digest).derRepresentation)
            case (.rsa(let key, _), .sha256(let digest)):
                return Array(try key.signature(for: digest, padding: RSAPadding.signing(algorithm)).rawRepresentation)
            case (.rsa(let key, _), .sha384(let digest)):
                return Array(try key.signature(for: digest, padding: RSAPadding.signing(algorithm)).rawRepresentation)
            case (.rsa(let key, _), .sha512(let digest)):
                return Array(try key.signature(for: digest, padding: RSAPadding.signing(algorithm)).rawRepresentation)
            default:
                throw KMSError(.internalFailure, "\(algorithm.rawValue) does not match the key's curve")
            }
        }
    }

    /// Decrypts a raw RSA-OAEP ciphertext.
    ///
    /// - Throws: `.invalidKeyUsage` for a key that is not RSA or a non-OAEP algorithm;
    ///   `.invalidCiphertext` when the ciphertext does not decrypt (wrong length, wrong
    ///   key, wrong hash, altered).
    public func decrypt(_ ciphertext: [UInt8], algorithm: EncryptionAlgorithm) throws(KMSError) -> SecretBytes {
        guard case .rsa(_, let key) = backing, let padding = RSAPadding.encryption(algorithm) else {
            throw KMSError(.invalidKeyUsage, "\(spec.rawValue) keys do not decrypt with \(algorithm.rawValue)")
        }
        guard ciphertext.count == (spec.rsaBitCount ?? 0) / 8, let plaintext = try? key.key.decrypt(ciphertext, padding: padding) else {
            throw KMSError(.invalidCiphertext, "the ciphertext does not decrypt with \(algorithm.rawValue) under this key")
        }
        return SecretBytes(copying: plaintext)
    }

    private static func librarySigning(_ body: () throws -> [UInt8]) throws(KMSError) -> [UInt8] {
        do {
            return try body()
        } catch let error as KMSError {
            throw error
        } catch {
            throw KMSError(.internalFailure, "signing failed in the crypto library")
        }
    }

    /// `AsymmetricPrivateKey(SPEC)`; never the key.
    public var description: String { "AsymmetricPrivateKey(\(spec.rawValue))" }

    /// `AsymmetricPrivateKey(SPEC)`; never the key.
    public var debugDescription: String { description }

    /// A mirror without children, so `dump` and reflection show no key.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// swift-crypto's RSA decryption key, which it does not mark `Sendable` although its
/// signing twin is: both wrap an immutable BoringSSL `EVP_PKEY`, which BoringSSL allows to be
/// used from several threads at once (RSA blinding is locked inside BoringSSL).
struct RSADecryptionKey: @unchecked Sendable {
    let key: _RSA.Encryption.PrivateKey

    init(_ key: _RSA.Encryption.PrivateKey) {
        self.key = key
    }
}
