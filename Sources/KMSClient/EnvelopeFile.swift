import Crypto

/// Encrypts and decrypts files of any size under a data key from the KMS, one chunk at a time.
///
/// The caller asks the server for a data key (GenerateDataKey), passes the plaintext key and
/// its encrypted copy to `encrypt`, and discards the plaintext key. To decrypt, the caller
/// reads the header (`readHeader`), has the server decrypt `encryptedDataKey` under
/// `encryptionContext`, and passes the result to `decrypt`. Nothing here talks to the network.
///
/// Memory stays bounded by one chunk whatever the file size. Output appears at its
/// destination only when the whole operation succeeded. The format is documented byte by
/// byte in `docs/ENVELOPE_FILE.md`.
public enum EnvelopeFile {
    /// The chunk size `encrypt` uses unless told otherwise: 64 KiB.
    public static let defaultChunkSize = 64 * 1024

    /// The chunk sizes the format allows, in plaintext bytes per chunk: 1 KiB to 16 MiB.
    public static let chunkSizes = 1024...(16 * 1024 * 1024)

    /// The largest encrypted data key a header may hold, in bytes.
    public static let maxEncryptedDataKeyBytes = 8 * 1024

    /// Checks that `dataKey` is an AES-128 or AES-256 key.
    static func checkDataKey(_ dataKey: SymmetricKey) throws(EnvelopeFileError) {
        guard dataKey.bitCount == 128 || dataKey.bitCount == 256 else {
            throw .invalidArgument("the data key must be 128 or 256 bits, not \(dataKey.bitCount)")
        }
    }
}
