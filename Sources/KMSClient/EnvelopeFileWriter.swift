import Crypto
import Foundation
import KMSCore

extension EnvelopeFile {
    /// Encrypts the file at `input` into an envelope file at `output`, one chunk at a time.
    ///
    /// Call it with a fresh data key from GenerateDataKey for every file, then discard the
    /// plaintext key. The header stores `encryptedDataKey` and `context` so that decryption
    /// needs only the server's Decrypt of that blob. `output` appears only when everything
    /// succeeded; it replaces any file already there, and may be the same path as `input`.
    ///
    /// - Parameters:
    ///   - input: the file to encrypt, of any size.
    ///   - output: where the envelope file goes.
    ///   - dataKey: the plaintext data key, 128 or 256 bits.
    ///   - encryptedDataKey: the server's encrypted copy of `dataKey`, 1 to 8 KiB, stored as is.
    ///   - context: the encryption context `dataKey` was generated under.
    ///   - chunkSize: plaintext bytes per chunk, within `chunkSizes`.
    /// - Throws: `EnvelopeFileError` `.invalidArgument` for a key, chunk size or encrypted key
    ///   out of bounds, `.inputTooLarge` when the input needs more than 2³² chunks, `.fileAccess`
    ///   when a file cannot be read or written.
    public static func encrypt(
        input: URL,
        output: URL,
        dataKey: SymmetricKey,
        encryptedDataKey: [UInt8],
        context: EncryptionContext,
        chunkSize: Int = defaultChunkSize
    ) throws(EnvelopeFileError) {
        try checkDataKey(dataKey)
        var generator = SystemRandomNumberGenerator()
        let header = try EnvelopeFileHeader(
            encryptedDataKey: encryptedDataKey,
            encryptionContext: context,
            chunkSize: chunkSize,
            noncePrefix: (0..<EnvelopeFileFormat.noncePrefixLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        )
        let headerBytes = header.encoded
        let associatedData = EnvelopeFileFormat.associatedData(header: headerBytes)
        let source = try EnvelopeFileInput(url: input)
        defer { source.close() }

        try EnvelopeFileOutput.write(to: output) { (sink) throws(EnvelopeFileError) in
            try sink.write(headerBytes)
            var index: UInt32 = 0
            while true {
                let plaintext = try source.read(upTo: chunkSize)
                let isFinal = plaintext.count < chunkSize
                let nonce = try EnvelopeFileFormat.nonce(prefix: header.noncePrefix, index: index, isFinal: isFinal)
                let sealed: AES.GCM.SealedBox
                do {
                    sealed = try AES.GCM.seal(plaintext, using: dataKey, nonce: nonce, authenticating: associatedData)
                } catch {
                    throw .invalidArgument("AES-GCM refused the data key")
                }
                try sink.write(sealed.ciphertext)
                try sink.write(sealed.tag)
                if isFinal { return }
                guard index < UInt32.max else {
                    throw EnvelopeFileError(
                        .inputTooLarge, "input needs more than 2^32 chunks of \(chunkSize) bytes; use a larger chunk size"
                    )
                }
                index += 1
            }
        }
    }
}
