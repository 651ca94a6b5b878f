import Crypto
import Foundation
import KMSCore
import _CryptoExtras

/// The public half of an ECC, Ed25519 or RSA key: exported as DER SubjectPublicKeyInfo,
/// and used to verify signatures and to encrypt with RSA-OAEP.
public struct AsymmetricPublicKey: Sendable {
    enum Backing: Sendable {
        case p256(P256.Signing.PublicKey)
        case p384(P384.Signing.PublicKey)
        case p521(P521.Signing.PublicKey)
        case ed25519(Curve25519.Signing.PublicKey)
        case rsa(_RSA.Signing.PublicKey)
    }

    let backing: Backing
    /// The kind of key.
    public let spec: KeySpec

    init(_ backing: Backing, spec: KeySpec) {
        self.backing = backing
        self.spec = spec
    }

    /// Reads a DER SubjectPublicKeyInfo of a key of `spec`.
    ///
    /// - Throws: `.validation` when the bytes are not exactly the DER SubjectPublicKeyInfo of
    ///   such a key (for RSA: of exactly the spec's size); `.invalidKeyUsage` when `spec` has
    ///   no public key.
    public init(subjectPublicKeyInfo der: [UInt8], spec: KeySpec) throws(KMSError) {
        let invalid = KMSError(.validation, "public_key is not a DER SubjectPublicKeyInfo of a \(spec.rawValue) key")
        do {
            switch spec {
            case .eccNistP256: backing = .p256(try P256.Signing.PublicKey(derRepresentation: der))
            case .eccNistP384: backing = .p384(try P384.Signing.PublicKey(derRepresentation: der))
            case .eccNistP521: backing = .p521(try P521.Signing.PublicKey(derRepresentation: der))
            case .ed25519:
                guard let raw = Ed25519Encoding.rawPublicKey(fromSubjectPublicKeyInfo: der) else { throw invalid }
                backing = .ed25519(try Curve25519.Signing.PublicKey(rawRepresentation: raw))
            case .rsa2048, .rsa3072, .rsa4096:
                let key = try _RSA.Signing.PublicKey(derRepresentation: der)
                guard key.keySizeInBits == spec.rsaBitCount else { throw invalid }
                backing = .rsa(key)
            case .symmetricDefault, .hmac256, .hmac384, .hmac512:
                throw KMSError(.invalidKeyUsage, "\(spec.rawValue) keys have no public key")
            }
        } catch let error as KMSError {
            throw error
        } catch {
            throw invalid
        }
        self.spec = spec
        // swift-crypto also reads other encodings (a bare PKCS#1 RSA key, say); only the
        // SubjectPublicKeyInfo this type would itself write is accepted.
        guard subjectPublicKeyInfo == der else { throw invalid }
    }

    /// The key as DER SubjectPublicKeyInfo (RFC 5280), as OpenSSL reads it.
    public var subjectPublicKeyInfo: [UInt8] {
        switch backing {
        case .p256(let key): Array(key.derRepresentation)
        case .p384(let key): Array(key.derRepresentation)
        case .p521(let key): Array(key.derRepresentation)
        case .ed25519(let key): Ed25519Encoding.subjectPublicKeyInfo(rawPublicKey: Array(key.rawRepresentation))
        case .rsa(let key): Array(key.derRepresentation)
        }
    }

    /// Whether `signature` is a valid signature of `input` with `algorithm` (ECDSA in DER).
    /// Malformed signatures are `false`, never an error.
    ///
    /// - Throws: `.invalidKeyUsage` when `algorithm` is not one of the spec's;
    ///   `.validation` for a DIGEST of the wrong length or a DIGEST with Ed25519.
    public func isValidSignature(_ signature: [UInt8], for input: SigningInput, algorithm: SigningAlgorithm) throws(KMSError) -> Bool {
        try isValidSignature(signature, for: input, algorithm: algorithm, ecdsaEncoding: .der)
    }

    /// As ``isValidSignature(_:for:algorithm:)``, with the ECDSA signature encoding chosen:
    /// the public API takes DER only; the Wycheproof tests also check the P1363 form.
    package func isValidSignature(
        _ signature: [UInt8], for input: SigningInput, algorithm: SigningAlgorithm, ecdsaEncoding: ECDSASignatureEncoding
    ) throws(KMSError) -> Bool {
        try SigningAlgorithmCheck.require(algorithm, for: spec)
        if case .ed25519(let key) = backing {
            return key.isValidSignature(signature, for: try input.rawMessage())
        }
        guard let hash = algorithm.digestAlgorithm else { return false }
        let digest = try input.digest(with: hash)
        switch (backing, digest) {
        case (.p256(let key), .sha256(let digest)):
            guard let parsed = try? ecdsaEncoding.parse(signature, as: P256.Signing.ECDSASignature.self) else { return false }
            return key.isValidSignature(parsed, for: digest)
        case (.p384(let key), .sha384(let digest)):
            guard let parsed = try? ecdsaEncoding.parse(signature, as: P384.Signing.ECDSASignature.self) else { return false }
            return key.isValidSignature(parsed, for: digest)
        case (.p521(let key), .sha512(let digest)):
            guard let parsed = try? ecdsaEncoding.parse(signature, as: P521.Signing.ECDSASignature.self) else { return false }
            return key.isValidSignature(parsed, for: digest)
        case (.rsa(let key), _):
            let rsaSignature = _RSA.Signing.RSASignature(rawRepresentation: signature)
            let padding = RSAPadding.signing(algorithm)
            switch digest {
            case .sha256(let digest): return key.isValidSignature(rsaSignature, for: digest, padding: padding)
            case .sha384(let digest): return key.isValidSignature(rsaSignature, for: digest, padding: padding)
            case .sha512(let digest): return key.isValidSignature(rsaSignature, for: digest, padding: padding)
            }
        default:
            return false
        }
    }

    /// Encrypts with RSA-OAEP, as a client holding this public key would offline.
    ///
    /// - Throws: `.invalidKeyUsage` for a key that is not RSA or a non-OAEP algorithm;
    ///   `.validation` when the plaintext is longer than OAEP allows for the key size.
    public func encrypt(_ plaintext: SecretBytes, algorithm: EncryptionAlgorithm) throws(KMSError) -> [UInt8] {
        guard case .rsa(let key) = backing, let padding = RSAPadding.encryption(algorithm) else {
            throw KMSError(.invalidKeyUsage, "\(spec.rawValue) keys do not encrypt with \(algorithm.rawValue)")
        }
        try RSAPadding.checkPlaintextLength(plaintext.count, algorithm: algorithm, spec: spec)
        do {
            let encryptionKey = try _RSA.Encryption.PublicKey(derRepresentation: key.derRepresentation)
            return try plaintext.withUnsafeBytes { Array(try encryptionKey.encrypt($0, padding: padding)) }
        } catch {
            throw KMSError(.internalFailure, "RSA-OAEP encryption failed")
        }
    }
}

/// How an ECDSA signature is encoded.
package enum ECDSASignatureEncoding: Sendable {
    /// DER `ECDSA-Sig-Value` (RFC 3279), what OpenSSL makes and reads.
    case der
    /// The fixed-length `r ‖ s` of IEEE P1363.
    case p1363

    func parse<Signature: ECDSASignatureDecoding>(_ bytes: [UInt8], as type: Signature.Type) throws -> Signature {
        switch self {
        case .der: try Signature(derRepresentation: bytes)
        case .p1363: try Signature(rawRepresentation: bytes)
        }
    }
}

/// The two decoders swift-crypto's ECDSA signature types share.
protocol ECDSASignatureDecoding {
    init<D: DataProtocol>(derRepresentation: D) throws
    init<D: DataProtocol>(rawRepresentation: D) throws
}

extension P256.Signing.ECDSASignature: ECDSASignatureDecoding {}
extension P384.Signing.ECDSASignature: ECDSASignatureDecoding {}
extension P521.Signing.ECDSASignature: ECDSASignatureDecoding {}

/// Checks a signing algorithm against a key spec.
enum SigningAlgorithmCheck {
    /// - Throws: `.invalidKeyUsage` unless `algorithm` is one of `spec`'s.
    static func require(_ algorithm: SigningAlgorithm, for spec: KeySpec) throws(KMSError) {
        guard spec.signingAlgorithms.contains(algorithm) else {
            let allowed = spec.signingAlgorithms.map(\.rawValue).joined(separator: ", ")
            throw KMSError(
                .invalidKeyUsage,
                "signing_algorithm \(algorithm.rawValue) does not fit a \(spec.rawValue) key" + (allowed.isEmpty ? "" : "; use one of \(allowed)")
            )
        }
    }
}
