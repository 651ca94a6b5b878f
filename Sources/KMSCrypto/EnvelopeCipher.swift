import Crypto
import Foundation
import KMSCore

/// Seals plaintexts into ciphertext blobs under one key version, and opens them.
///
/// Each message gets a fresh random salt and nonce and its own AES-256-GCM key, derived from
/// the version's material and the blob's first 53 bytes (format, key id, key version, salt).
/// New blobs are format 2, whose message key comes from ``CounterModeKDF``; format 1 blobs,
/// whose key is HKDF-SHA256(IKM: material, salt: salt, info: `"swift-kms/v1/encrypt"` ‖ blob
/// bytes 0..<21), still open. The 65 header bytes followed by the encryption context's
/// canonical encoding are authenticated as AAD. `docs/CIPHERTEXT.md` pins both formats.
public enum EnvelopeCipher {
    /// The HKDF info label of format 1, which precedes the key-identifying header bytes.
    static let hkdfLabel = Array("swift-kms/v1/encrypt".utf8)

    /// Seals `plaintext` into a format 2 blob for `keyID` at `version`, bound to `context`.
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
            format: .current,
            salt: random[..<CiphertextBlob.saltByteCount],
            nonce: random[CiphertextBlob.saltByteCount...]
        )
    }

    /// Seals in `format` with a caller-chosen salt and nonce, for fixed test vectors and the
    /// fuzz target only: reusing a salt and nonce pair under one key version breaks
    /// confidentiality, and the server writes only ``CiphertextBlob/Format/current``.
    ///
    /// - Precondition: `salt` is 32 bytes, `nonce` is 12 bytes, and `plaintext` fits as in
    ///   ``seal(_:keyID:version:material:context:)``.
    package static func seal(
        _ plaintext: SecretBytes,
        keyID: KeyID,
        version: KeyVersion,
        material: KeyMaterial,
        context: EncryptionContext,
        format: CiphertextBlob.Format,
        salt: some DataProtocol,
        nonce: some DataProtocol
    ) -> [UInt8] {
        precondition(plaintext.count <= CiphertextBlob.maxPlaintextByteCount, "plaintext too long for one blob")
        precondition(salt.count == CiphertextBlob.saltByteCount, "salt must be 32 bytes")
        precondition(nonce.count == AESGCM.nonceByteCount, "nonce must be 12 bytes")
        var blob: [UInt8] = []
        blob.reserveCapacity(CiphertextBlob.overheadByteCount + plaintext.count)
        blob += CiphertextBlob.keyHeader(format: format, keyID: keyID, version: version)
        blob += salt
        blob += nonce
        let messageKey = deriveMessageKey(format: format, material: material, header: blob[...])
        let aad = blob + context.canonicalEncoding
        plaintext.withUnsafeBytes { bytes in
            AESGCM.seal(bytes, key: messageKey, nonce: nonce, authenticating: aad, appendingTo: &blob)
        }
        return blob
    }

    /// Opens a blob of either format sealed for `keyID` at `version` with `material` and
    /// `context`.
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
        guard named.keyID == keyID, named.keyVersion == version,
              let format = blob.first.flatMap(CiphertextBlob.Format.init(rawValue:))
        else { throw CiphertextBlob.invalid }
        let bytes = Array(blob)
        let header = bytes[..<CiphertextBlob.headerByteCount]
        let messageKey = deriveMessageKey(format: format, material: material, header: header)
        let aad = header + context.canonicalEncoding
        guard let plaintext = AESGCM.open(
            bytes[CiphertextBlob.headerByteCount...],
            key: messageKey,
            nonce: bytes[CiphertextBlob.nonceRange],
            authenticating: aad
        ) else { throw CiphertextBlob.invalid }
        return plaintext
    }

    /// The per-message AES-256 key of a blob in `format` whose 65-byte header is `header`.
    private static func deriveMessageKey(
        format: CiphertextBlob.Format,
        material: KeyMaterial,
        header: ArraySlice<UInt8>
    ) -> SymmetricKey {
        let start = header.startIndex
        let saltEnd = start + CiphertextBlob.saltRange.upperBound
        switch format {
        case .counterModeHMAC:
            return material.messageKeys.deriveKey(context: header[start..<saltEnd])
        case .hkdf:
            let keyHeaderEnd = start + CiphertextBlob.keyHeaderByteCount
            do {
                return try HKDFSHA256.deriveKey(
                    inputKeyMaterial: material.key,
                    salt: header[keyHeaderEnd..<saltEnd],
                    info: hkdfLabel + header[start..<keyHeaderEnd],
                    outputByteCount: AESGCM.keyByteCount
                )
            } catch {
                preconditionFailure("HKDF rejected the fixed 32-byte output length: \(error)")
            }
        }
    }
}
