import Crypto
import Foundation
import KMSCore

/// Seals plaintexts into ciphertext blobs under one key version, and opens them.
///
/// Each message gets a fresh random salt and nonce. Its AES-256-GCM key is
/// HKDF-SHA256(IKM: the version's material, salt: the salt,
/// info: `"swift-kms/v1/encrypt"` ‖ blob bytes 0..<21, 32 bytes). The 65 header bytes followed
/// by the encryption context's canonical encoding are authenticated as AAD.
public enum EnvelopeCipher {
    /// The HKDF info label that precedes the key-identifying header bytes.
    static let derivationLabel = Array("swift-kms/v1/encrypt".utf8)

    /// Seals `plaintext` into a blob for `keyID` at `version`, bound to `context`.
    ///
    /// - Precondition: `plaintext.count <= CiphertextBlob.maxPlaintextByteCount`, so that the
    ///   blob stays within `Limits.maxCiphertextBytes` and can be opened. The service limits
    ///   plaintexts (4096 bytes) and data keys (1024 bytes) well below that.
    /// - Returns: The blob, `CiphertextBlob.overheadByteCount` bytes longer than `plaintext`.
    public static func seal(
        _ plaintext: SecretBytes,
        keyID: KeyID,
        version: KeyVersion,
        material: KeyMaterial,
        context: EncryptionContext
    ) -> [UInt8] {
        // One draw from the generator for both salt and nonce.
        let random = secureRandomBytes(count: CiphertextBlob.saltByteCount + AESGCM.nonceByteCount)
        return seal(
            plaintext, keyID: keyID, version: version, material: material, context: context,
            salt: Array(random[..<CiphertextBlob.saltByteCount]),
            nonce: Array(random[CiphertextBlob.saltByteCount...])
        )
    }

    /// Seals with a caller-chosen salt and nonce, for fixed test vectors only: reusing a salt
    /// and nonce pair under one key version breaks confidentiality.
    ///
    /// - Precondition: `salt` is 32 bytes, `nonce` is 12 bytes, and `plaintext` fits as in
    ///   ``seal(_:keyID:version:material:context:)``.
    package static func seal(
        _ plaintext: SecretBytes,
        keyID: KeyID,
        version: KeyVersion,
        material: KeyMaterial,
        context: EncryptionContext,
        salt: [UInt8],
        nonce: [UInt8]
    ) -> [UInt8] {
        precondition(plaintext.count <= CiphertextBlob.maxPlaintextByteCount, "plaintext too long for one blob")
        precondition(salt.count == CiphertextBlob.saltByteCount, "salt must be 32 bytes")
        precondition(nonce.count == AESGCM.nonceByteCount, "nonce must be 12 bytes")
        let keyHeader = CiphertextBlob.keyHeader(keyID: keyID, version: version)
        var blob: [UInt8] = []
        blob.reserveCapacity(CiphertextBlob.overheadByteCount + plaintext.count)
        blob += keyHeader
        blob += salt
        blob += nonce
        let messageKey: SymmetricKey
        do {
            messageKey = try deriveMessageKey(material: material, salt: salt, keyHeader: keyHeader)
        } catch {
            preconditionFailure("HKDF rejected the fixed 32-byte output length: \(error)")
        }
        let aad = blob + context.canonicalEncoding
        plaintext.withUnsafeBytes { bytes in
            AESGCM.seal(bytes, key: messageKey, nonce: nonce, authenticating: aad, appendingTo: &blob)
        }
        return blob
    }

    /// Opens a blob sealed for `keyID` at `version` with `material` and `context`.
    ///
    /// - Returns: The plaintext; never part of it.
    /// - Throws: `KMSError` `.invalidCiphertext`, always with the same message, when the blob
    ///   is too short or too long, has an unknown format version, names another key id or
    ///   version, was changed in any bit, or `material` or `context` differ from sealing.
    public static func open(
        _ blob: some Collection<UInt8>,
        keyID: KeyID,
        version: KeyVersion,
        material: KeyMaterial,
        context: EncryptionContext
    ) throws(KMSError) -> SecretBytes {
        let named = try CiphertextBlob.parseHeader(blob)
        guard named.keyID == keyID, named.keyVersion == version else { throw CiphertextBlob.invalid }
        let bytes = Array(blob)
        let keyHeader = bytes[..<CiphertextBlob.keyHeaderByteCount]
        let salt = bytes[CiphertextBlob.saltRange]
        let messageKey = try deriveMessageKey(material: material, salt: salt, keyHeader: keyHeader)
        let aad = bytes[..<CiphertextBlob.headerByteCount] + context.canonicalEncoding
        guard let plaintext = AESGCM.open(
            bytes[CiphertextBlob.headerByteCount...],
            key: messageKey,
            nonce: bytes[CiphertextBlob.nonceRange],
            authenticating: aad
        ) else { throw CiphertextBlob.invalid }
        return plaintext
    }

    /// The per-message AES-256 key.
    private static func deriveMessageKey(
        material: KeyMaterial,
        salt: some DataProtocol,
        keyHeader: some Sequence<UInt8>
    ) throws(KMSError) -> SymmetricKey {
        try HKDFSHA256.deriveKey(
            inputKeyMaterial: material.key,
            salt: salt,
            info: derivationLabel + keyHeader,
            outputByteCount: AESGCM.keyByteCount
        )
    }
}
