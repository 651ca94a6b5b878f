import Crypto
import Foundation

extension EnvelopeFile {
    /// Reads the header of the envelope file at `input` without decrypting anything.
    ///
    /// Have the server Decrypt `encryptedDataKey` under `encryptionContext`, then pass the
    /// data key to `decrypt`. The header is not authenticated until `decrypt` checks it.
    ///
    /// - Throws: `EnvelopeFileError` `.notEnvelopeFile` for a wrong magic, `.truncated` when the
    ///   file ends inside the header, `.malformed` for a field out of bounds, `.fileAccess`
    ///   when the file cannot be read.
    public static func readHeader(of input: URL) throws(EnvelopeFileError) -> EnvelopeFileHeader {
        let source = try EnvelopeFileInput(url: input)
        defer { source.close() }
        return try EnvelopeFileHeader.read(from: source).header
    }

    /// Decrypts the envelope file at `input` into `output`, one chunk at a time.
    ///
    /// Every chunk is authenticated, in order, together with the header; the file must end
    /// exactly after its final chunk. `output` appears only when the whole file decrypted and
    /// authenticated; on any failure no plaintext is left behind (it replaces any file already
    /// there on success, and may be the same path as `input`).
    ///
    /// - Parameters:
    ///   - input: the envelope file.
    ///   - output: where the plaintext goes.
    ///   - dataKey: the data key the server decrypted from the header's `encryptedDataKey`.
    /// - Throws: `EnvelopeFileError` `.invalidArgument` for a key that is not 128 or 256 bits,
    ///   `.notEnvelopeFile`, `.malformed` or `.truncated` for a bad or cut-off file,
    ///   `.authenticationFailed` naming the first chunk that does not authenticate (file altered
    ///   or wrong key), `.fileAccess` when a file cannot be read or written.
    public static func decrypt(input: URL, output: URL, dataKey: SymmetricKey) throws(EnvelopeFileError) {
        try checkDataKey(dataKey)
        let source = try EnvelopeFileInput(url: input)
        defer { source.close() }
        let (header, headerBytes) = try EnvelopeFileHeader.read(from: source)
        let associatedData = EnvelopeFileFormat.associatedData(header: headerBytes)
        let storedChunkSize = header.chunkSize + EnvelopeFileFormat.tagLength

        try EnvelopeFileOutput.write(to: output) { (sink) throws(EnvelopeFileError) in
            var index: UInt32 = 0
            while true {
                let stored = try source.read(upTo: storedChunkSize)
                let isFinal = stored.count < storedChunkSize
                guard stored.count >= EnvelopeFileFormat.tagLength else { throw .truncated }
                let nonce = try EnvelopeFileFormat.nonce(prefix: header.noncePrefix, index: index, isFinal: isFinal)
                let plaintext: Data
                do {
                    let box = try AES.GCM.SealedBox(
                        nonce: nonce,
                        ciphertext: stored.dropLast(EnvelopeFileFormat.tagLength),
                        tag: stored.suffix(EnvelopeFileFormat.tagLength)
                    )
                    plaintext = try AES.GCM.open(box, using: dataKey, authenticating: associatedData)
                } catch {
                    throw .authenticationFailed(chunk: index)
                }
                try sink.write(plaintext)
                if isFinal { return }
                guard index < UInt32.max else { throw .malformed("more than 2^32 chunks") }
                index += 1
            }
        }
    }
}
