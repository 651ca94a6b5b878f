import Crypto
import Foundation
import KMSCore

/// The key that wraps every key version's material at rest.
///
/// Wrapped material is `0x01 ‖ nonce(12) ‖ AES-256-GCM ciphertext ‖ tag(16)`, sealed
/// under the root key with AAD `"swift-kms/v1/wrap"` ‖ key id bytes ‖ big-endian version
/// (‖ the key spec name for specs other than SYMMETRIC_DEFAULT), so bytes moved to another
/// key id, version or spec do not unwrap. A root key never prints
/// (`RootKey(256 bits)`) and is not `Codable`.
public struct RootKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The root key's length, in bytes.
    public static let byteCount = 32
    /// The format byte that starts wrapped material and verifiers.
    static let formatVersion: UInt8 = 0x01
    /// The length of wrapped SYMMETRIC_DEFAULT material: format, nonce, ciphertext, tag (61).
    public static let wrappedByteCount = 1 + AESGCM.nonceByteCount + KeyMaterial.byteCount + AESGCM.tagByteCount

    static let wrapLabel = Array("swift-kms/v1/wrap".utf8)
    static let verifierLabel = Array("swift-kms/v1/root-key-verifier".utf8)
    static let auditContextLabel = Array("swift-kms/v1/audit-context".utf8)
    static let auditSigningLabel = Array("swift-kms/v1/audit-signing".utf8)
    static let verifierPlaintext = Array("swift-kms root key check".utf8)

    private let key: SymmetricKey

    /// A root key from exactly 32 bytes.
    ///
    /// - Throws: `KMSError` `.validation` when `bytes` is not 32 bytes long.
    public init(bytes: some Collection<UInt8>) throws(KMSError) {
        guard bytes.count == RootKey.byteCount else {
            throw KMSError(.validation, "a root key must be exactly \(RootKey.byteCount) bytes, got \(bytes.count)")
        }
        self.key = SecretBytes(copying: bytes).storage
    }

    /// Wraps one SYMMETRIC_DEFAULT version's material for storage, bound to `keyID` and
    /// `version`: the symmetric shorthand of ``wrap(_:keyID:version:)-(VersionMaterial,_,_)``,
    /// for this package's tests.
    package func wrap(_ material: KeyMaterial, keyID: KeyID, version: KeyVersion) -> [UInt8] {
        wrap(.symmetric(material), keyID: keyID, version: version)
    }

    /// Wraps one key version's material (AES key, PKCS#8 private key or HMAC key) for
    /// storage, bound to `keyID` and `version`.
    public func wrap(_ material: VersionMaterial, keyID: KeyID, version: KeyVersion) -> [UInt8] {
        material.storedBytes.withUnsafeBytes { seal($0, aad: RootKey.wrapAAD(keyID: keyID, version: version, spec: material.spec)) }
    }

    /// Recovers SYMMETRIC_DEFAULT material wrapped by ``wrap(_:keyID:version:)-(KeyMaterial,_,_)``
    /// for the same key id and version.
    ///
    /// The symmetric shorthand of ``unwrap(_:spec:keyID:version:)``, for this package's tests.
    ///
    /// - Throws: `KMSError` `.internalFailure` when the bytes are malformed, were changed,
    ///   were wrapped for another key id or version, or under another root key.
    package func unwrap(_ wrapped: some Collection<UInt8>, keyID: KeyID, version: KeyVersion) throws(KMSError) -> KeyMaterial {
        guard wrapped.count == RootKey.wrappedByteCount else { throw Self.unwrapFailure(keyID, version) }
        return try unwrap(wrapped, spec: .symmetricDefault, keyID: keyID, version: version).symmetricKey()
    }

    /// Recovers the material of a key of `spec` wrapped for the same key id and version.
    ///
    /// - Throws: `KMSError` `.internalFailure` when the bytes are malformed, were changed,
    ///   were wrapped for another key id, version or spec, or under another root key.
    public func unwrap(_ wrapped: some Collection<UInt8>, spec: KeySpec, keyID: KeyID, version: KeyVersion) throws(KMSError) -> VersionMaterial {
        guard let secret = open(wrapped, aad: RootKey.wrapAAD(keyID: keyID, version: version, spec: spec)) else {
            throw Self.unwrapFailure(keyID, version)
        }
        do {
            return try VersionMaterial(unwrapped: secret, spec: spec)
        } catch {
            throw Self.unwrapFailure(keyID, version)
        }
    }

    private static func unwrapFailure(_ keyID: KeyID, _ version: KeyVersion) -> KMSError {
        KMSError(.internalFailure, "the stored material of key \(keyID) version \(version) could not be unwrapped with the root key")
    }

    /// The key of the audit trail's encryption context HMAC: HKDF-SHA256 of the root key
    /// with info `"swift-kms/v1/audit-context"`. Records made under one root key can be
    /// compared by context; the context values cannot be read back from them.
    public func auditContextKey() -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: RootKey.auditContextLabel, outputByteCount: SHA256.byteCount)
    }

    /// The Ed25519 key that signs the audit chain and its checkpoints: its 32-byte seed is
    /// HKDF-SHA256 of the root key with info `"swift-kms/v1/audit-signing"`, so every node
    /// given the same root key signs with the same key, and its public key
    /// (`kmsd audit export-verification-key`) verifies every node's log.
    public func auditSigningKey() -> Curve25519.Signing.PrivateKey {
        let seed = HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: RootKey.auditSigningLabel, outputByteCount: 32)
        do {
            return try seed.withUnsafeBytes { try Curve25519.Signing.PrivateKey(rawRepresentation: $0) }
        } catch {
            // Any 32 bytes are an Ed25519 seed.
            fatalError("an Ed25519 key from a 32-byte seed failed: \(error)")
        }
    }

    /// A value to store beside wrapped keys, from which ``verifies(_:)`` later tells whether
    /// the same root key is loaded: a fixed label sealed under this root key with its own AAD.
    public func makeVerifier() -> [UInt8] {
        seal(RootKey.verifierPlaintext, aad: RootKey.verifierLabel)
    }

    /// Whether `verifier` was made by ``makeVerifier()`` with this root key; `false` means the
    /// root key differs (or the verifier was changed).
    public func verifies(_ verifier: some Collection<UInt8>) -> Bool {
        guard let opened = open(verifier, aad: RootKey.verifierLabel) else { return false }
        return opened == SecretBytes(copying: RootKey.verifierPlaintext)
    }

    /// `RootKey(256 bits)`; never the bytes.
    public var description: String { "RootKey(\(key.bitCount) bits)" }

    /// `RootKey(256 bits)`; never the bytes.
    public var debugDescription: String { description }

    /// A mirror without children, so `dump` and reflection show no bytes.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// The spec is bound too, except for SYMMETRIC_DEFAULT (whose format predates the other
    /// specs), so material cannot be reused as another kind of key by editing the stored spec.
    private static func wrapAAD(keyID: KeyID, version: KeyVersion, spec: KeySpec) -> [UInt8] {
        let specBytes = spec == .symmetricDefault ? [] : Array(spec.rawValue.utf8)
        return wrapLabel + keyID.bytes + bigEndianBytes(of: version) + specBytes
    }

    /// `0x01 ‖ nonce ‖ ciphertext ‖ tag` under the root key with a fresh random nonce.
    private func seal(_ plaintext: some DataProtocol, aad: [UInt8]) -> [UInt8] {
        let nonce = secureRandomBytes(count: AESGCM.nonceByteCount)
        return [RootKey.formatVersion] + nonce + AESGCM.seal(plaintext, key: key, nonce: nonce, authenticating: aad)
    }

    /// Opens what ``seal(_:aad:)`` made; `nil` on any failure.
    private func open(_ framed: some Collection<UInt8>, aad: [UInt8]) -> SecretBytes? {
        let bytes = Array(framed)
        let headerByteCount = 1 + AESGCM.nonceByteCount
        guard bytes.count >= headerByteCount + AESGCM.tagByteCount, bytes[0] == RootKey.formatVersion else { return nil }
        return AESGCM.open(bytes[headerByteCount...], key: key, nonce: bytes[1..<headerByteCount], authenticating: aad)
    }
}
