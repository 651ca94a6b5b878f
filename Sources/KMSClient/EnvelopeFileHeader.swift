import Foundation
import KMSCore

/// The header of an envelope file: what a caller needs to get the data key back from the server.
///
/// `encryptedDataKey` is the opaque blob GenerateDataKey returned; have the server Decrypt it
/// with `encryptionContext` to get the data key that `EnvelopeFile.decrypt` takes. Neither
/// field is secret. The header is authenticated by every chunk, so a changed header fails
/// decryption.
public struct EnvelopeFileHeader: Sendable {
    /// The data key encrypted by the server, exactly as GenerateDataKey returned it.
    public let encryptedDataKey: [UInt8]
    /// The encryption context the data key was generated under.
    public let encryptionContext: EncryptionContext
    /// Plaintext bytes per chunk; every chunk but the final one holds exactly this many.
    public let chunkSize: Int
    /// Random bytes that start the nonce of every chunk.
    let noncePrefix: [UInt8]

    /// Checks every field against the format's bounds.
    ///
    /// - Throws: `EnvelopeFileError` `.invalidArgument` when a field is out of bounds.
    init(encryptedDataKey: [UInt8], encryptionContext: EncryptionContext, chunkSize: Int, noncePrefix: [UInt8])
        throws(EnvelopeFileError)
    {
        guard EnvelopeFile.chunkSizes.contains(chunkSize) else {
            throw .invalidArgument("chunk size \(chunkSize) is outside \(EnvelopeFile.chunkSizes)")
        }
        guard (1...EnvelopeFile.maxEncryptedDataKeyBytes).contains(encryptedDataKey.count) else {
            throw .invalidArgument(
                "encrypted data key is \(encryptedDataKey.count) bytes; it must be 1 to \(EnvelopeFile.maxEncryptedDataKeyBytes)"
            )
        }
        guard noncePrefix.count == EnvelopeFileFormat.noncePrefixLength else {
            throw .invalidArgument("nonce prefix must be \(EnvelopeFileFormat.noncePrefixLength) bytes")
        }
        self.encryptedDataKey = encryptedDataKey
        self.encryptionContext = encryptionContext
        self.chunkSize = chunkSize
        self.noncePrefix = noncePrefix
    }

    /// The header's bytes as stored at the start of the file.
    var encoded: [UInt8] {
        let context = encryptionContext.canonicalEncoding
        var out = EnvelopeFileFormat.magic
        EnvelopeFileFormat.appendUInt32(UInt32(chunkSize), to: &out)
        EnvelopeFileFormat.appendUInt32(UInt32(encryptedDataKey.count), to: &out)
        out += encryptedDataKey
        EnvelopeFileFormat.appendUInt32(UInt32(context.count), to: &out)
        out += context
        out += noncePrefix
        return out
    }

    /// Reads a header from the start of `input`, checking every length before reading what it counts.
    ///
    /// - Returns: the header and the exact bytes it was read from (hashed into every chunk's AAD).
    /// - Throws: `EnvelopeFileError` `.notEnvelopeFile` for a wrong magic, `.truncated` when the
    ///   file ends inside the header, `.malformed` for an out-of-bounds field or a context that is
    ///   not in canonical form, `.fileAccess` when reading fails.
    static func read(from input: EnvelopeFileInput) throws(EnvelopeFileError) -> (header: EnvelopeFileHeader, bytes: [UInt8]) {
        var bytes: [UInt8] = []
        func take(_ count: Int) throws(EnvelopeFileError) -> [UInt8] {
            let piece = try input.read(upTo: count)
            guard piece.count == count else { throw .truncated }
            bytes += piece
            return Array(piece)
        }
        func takeLength(of field: String, in range: ClosedRange<Int>) throws(EnvelopeFileError) -> Int {
            let length = Int(EnvelopeFileFormat.uint32(bigEndian: try take(4)))
            guard range.contains(length) else { throw .malformed("\(field) \(length) is outside \(range)") }
            return length
        }

        let magic = try input.read(upTo: EnvelopeFileFormat.magic.count)
        guard magic.elementsEqual(EnvelopeFileFormat.magic) else { throw .notEnvelopeFile }
        bytes += magic
        let chunkSize = try takeLength(of: "chunk size", in: EnvelopeFile.chunkSizes)
        let keyLength = try takeLength(of: "encrypted data key length", in: 1...EnvelopeFile.maxEncryptedDataKeyBytes)
        let encryptedDataKey = try take(keyLength)
        let contextLength = try takeLength(of: "encryption context length", in: 2...EnvelopeFileFormat.maxEncryptionContextBytes)
        guard let context = EncryptionContext(canonicalEncoding: try take(contextLength)) else {
            throw .malformed("the encryption context is not in canonical form")
        }
        let noncePrefix = try take(EnvelopeFileFormat.noncePrefixLength)
        let header = try EnvelopeFileHeader(
            encryptedDataKey: encryptedDataKey, encryptionContext: context, chunkSize: chunkSize, noncePrefix: noncePrefix
        )
        return (header, bytes)
    }
}
