import KMSCore

/// The layout of a ciphertext blob, formats 1 and 2 (see `docs/CIPHERTEXT.md`): the same
/// bytes, with another per-message key derivation.
///
/// ```
/// offset  length  field
/// 0       1       format version = 0x01 or 0x02
/// 1       16      key id (KeyID.bytes)
/// 17      4       key version, big-endian UInt32
/// 21      32      salt (random per message)
/// 53      12      nonce (random per message)
/// 65      n       AES-256-GCM ciphertext of the plaintext
/// 65+n    16      GCM tag
/// ```
public enum CiphertextBlob {
    /// A format version: the blob's first byte, which names how its message key is derived.
    public enum Format: UInt8, Sendable, CaseIterable {
        /// HKDF-SHA256 over the salt and key header; read forever, no longer written.
        case hkdf = 0x01
        /// SP 800-108 counter-mode HMAC-SHA256 over the key header and salt (``CounterModeKDF``).
        case counterModeHMAC = 0x02

        /// The format new blobs are written in.
        public static let current = Format.counterModeHMAC
    }

    /// The length of the key-identifying prefix: format, key id, key version.
    public static let keyHeaderByteCount = 21
    /// The length of the per-message salt.
    public static let saltByteCount = 32
    /// The length of the whole header: key-identifying prefix, salt, nonce.
    public static let headerByteCount = keyHeaderByteCount + saltByteCount + AESGCM.nonceByteCount
    /// The bytes a blob adds to its plaintext: header and tag (81).
    public static let overheadByteCount = headerByteCount + AESGCM.tagByteCount
    /// The largest plaintext whose blob still fits in `Limits.maxCiphertextBytes`.
    public static let maxPlaintextByteCount = Limits.maxCiphertextBytes - overheadByteCount

    static let keyIDRange = 1..<17
    static let versionRange = 17..<21
    /// Where the random per-message salt lies.
    package static let saltRange = keyHeaderByteCount..<(keyHeaderByteCount + saltByteCount)
    /// Where the random GCM nonce lies.
    package static let nonceRange = saltRange.upperBound..<headerByteCount

    /// The one error every unusable blob produces, whatever is wrong with it, so that a
    /// failure tells an attacker nothing about which check failed. Callers that reject a blob
    /// for their own reasons (unknown key, version out of range) throw this same error.
    public static let invalid = KMSError(
        .invalidCiphertext,
        "the ciphertext is malformed, was modified, or does not match the key or encryption context"
    )

    /// Reads the key id and version from a blob, so the caller can fetch that version's
    /// material before decrypting.
    ///
    /// Checks the length (81 through `Limits.maxCiphertextBytes` bytes) and the format version;
    /// it does not authenticate anything, which only ``EnvelopeCipher/open(_:keyID:version:material:context:)`` does.
    ///
    /// - Throws: `KMSError` `.invalidCiphertext` for a blob that is too short, too long or of
    ///   an unknown format version.
    public static func parseHeader(
        _ blob: some Collection<UInt8>
    ) throws(KMSError) -> (keyID: KeyID, keyVersion: KeyVersion) {
        guard (overheadByteCount...Limits.maxCiphertextBytes).contains(blob.count) else { throw invalid }
        let header = Array(blob.prefix(keyHeaderByteCount))
        guard Format(rawValue: header[0]) != nil,
              let keyID = KeyID(bytes: header[keyIDRange]),
              let version = keyVersion(bigEndian: header[versionRange])
        else { throw invalid }
        return (keyID, version)
    }

    /// The 21-byte key-identifying prefix of a blob in `format` for `keyID` at `version`.
    package static func keyHeader(format: Format, keyID: KeyID, version: KeyVersion) -> [UInt8] {
        [format.rawValue] + keyID.bytes + bigEndianBytes(of: version)
    }
}
