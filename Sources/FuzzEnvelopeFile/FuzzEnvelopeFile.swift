import Crypto
import Foundation
import FuzzSupport
import KMSClient
import KMSCore

// Fuzz target: the envelope file format reader (docs/ENVELOPE_FILE.md), as
// `kmsctl envelope decrypt` reads a file someone handed over.
//
// The reader takes a path, so each input is written to a file in a scratch directory of this
// process. Properties, for any bytes:
// - `EnvelopeFile.readHeader` never crashes, and fails with `notEnvelopeFile`, `truncated` or
//   `malformed` only;
// - a header that parses has every field within the documented bounds, and writing it again
//   from the fields read (independently of the reader, from the spec) gives exactly the
//   input's first `27 + K + C` bytes;
// - `EnvelopeFile.decrypt` under the test vector's data key never crashes, fails only with the
//   reader's errors or `authenticationFailed`, leaves no output behind when it fails, and when
//   it succeeds, the plaintext is exactly as long as the chunk layout says and encrypting it
//   again under the same header values decrypts back to the same plaintext.

private let dataKey = SymmetricKey(data: (0..<32).map { UInt8($0) })
private let magic = Array("SKMSENV1".utf8)

private func bigEndian(_ value: Int) -> [UInt8] {
    [UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
     UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEnvelopeFile(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    let directory = Fuzz.scratchDirectory
    let input = directory.appendingPathComponent("input.kmsenv")
    let output = directory.appendingPathComponent("output.bin")
    do {
        try Data(bytes).write(to: input)
    } catch {
        Fuzz.fail("cannot write the scratch file \(input.path): \(error)")
    }
    defer {
        try? FileManager.default.removeItem(at: input)
        try? FileManager.default.removeItem(at: output)
    }

    let headerCodes: Set<EnvelopeFileError.Code> = [.notEnvelopeFile, .truncated, .malformed]
    let header: EnvelopeFileHeader
    do {
        header = try EnvelopeFile.readHeader(of: input)
    } catch {
        Fuzz.require(headerCodes.contains(error.code), "readHeader failed with \(error.code): \(error)")
        checkDecryptFails(input: input, output: output, allowed: headerCodes)
        return 0
    }

    Fuzz.require(EnvelopeFile.chunkSizes.contains(header.chunkSize), "chunk size \(header.chunkSize) out of bounds")
    Fuzz.require((1...EnvelopeFile.maxEncryptedDataKeyBytes).contains(header.encryptedDataKey.count),
                 "encrypted data key of \(header.encryptedDataKey.count) bytes")
    let context = header.encryptionContext.canonicalEncoding
    let headerLength = 27 + header.encryptedDataKey.count + context.count
    Fuzz.require(bytes.count >= headerLength, "a header of \(headerLength) bytes parsed from \(bytes.count) bytes")
    let rewritten = magic + bigEndian(header.chunkSize) + bigEndian(header.encryptedDataKey.count)
        + header.encryptedDataKey + bigEndian(context.count) + context
        + bytes[(headerLength - 7)..<headerLength]
    Fuzz.require(rewritten.elementsEqual(bytes.prefix(headerLength)), "the header does not re-encode to the same bytes")

    do {
        try EnvelopeFile.decrypt(input: input, output: output, dataKey: dataKey)
    } catch {
        Fuzz.require(headerCodes.union([.authenticationFailed]).contains(error.code),
                     "decrypt failed with \(error.code): \(error)")
        Fuzz.require(!FileManager.default.fileExists(atPath: output.path), "a failed decrypt left output behind")
        return 0
    }

    // It decrypted: the body is full chunks then one shorter final chunk, each with its tag.
    let stored = header.chunkSize + 16
    let body = bytes.count - headerLength
    let plaintext = contents(of: output)
    Fuzz.require(body % stored >= 16, "a body of \(body) bytes decrypted with a final chunk under 16 bytes")
    Fuzz.require(plaintext.count == body - 16 * (body / stored + 1),
                 "\(plaintext.count) plaintext bytes from a body of \(body) bytes")

    let again = directory.appendingPathComponent("again.kmsenv")
    let roundTrip = directory.appendingPathComponent("again.bin")
    defer {
        try? FileManager.default.removeItem(at: again)
        try? FileManager.default.removeItem(at: roundTrip)
    }
    do {
        try EnvelopeFile.encrypt(
            input: output, output: again, dataKey: dataKey, encryptedDataKey: header.encryptedDataKey,
            context: header.encryptionContext, chunkSize: header.chunkSize
        )
        try EnvelopeFile.decrypt(input: again, output: roundTrip, dataKey: dataKey)
        let reencrypted = contents(of: again)
        Fuzz.require(reencrypted.count == bytes.count, "re-encrypting changed the file's length")
        Fuzz.require(reencrypted.prefix(headerLength - 7) == Data(bytes.prefix(headerLength - 7)),
                     "re-encrypting changed the header")
        let decryptedAgain = contents(of: roundTrip)
        Fuzz.require(decryptedAgain == plaintext, "the round trip changed the plaintext")
    } catch {
        Fuzz.fail("re-encrypting a decrypted file failed: \(error)")
    }
    return 0
}

/// Decrypting a file whose header does not parse fails with one of `allowed` and leaves nothing.
private func checkDecryptFails(input: URL, output: URL, allowed: Set<EnvelopeFileError.Code>) {
    do {
        try EnvelopeFile.decrypt(input: input, output: output, dataKey: dataKey)
        Fuzz.fail("a file whose header does not parse decrypted")
    } catch {
        Fuzz.require(allowed.contains(error.code), "decrypt failed with \(error.code): \(error)")
        Fuzz.require(!FileManager.default.fileExists(atPath: output.path), "a failed decrypt left output behind")
    }
}

/// The bytes of the file at `url`. (Not `Data(contentsOf:)`: in Swift 6.3.1's Foundation it
/// leaks the 4 KiB buffer it allocates for an empty file, which LeakSanitizer reports.)
private func contents(of url: URL) -> Data {
    guard let handle = try? FileHandle(forReadingFrom: url) else { return Data() }
    defer { try? handle.close() }
    return (try? handle.readToEnd()) ?? Data()
}
