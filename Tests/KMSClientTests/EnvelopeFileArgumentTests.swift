import Crypto
import Foundation
import KMSClient
import KMSCore
import Testing

/// Bad arguments and unusable files are refused up front, without leaving output.
@Suite struct EnvelopeFileArgumentTests {
    @Test(arguments: [
        (chunkSize: 1023, encryptedDataKeyLength: 1),
        (chunkSize: 16 * 1024 * 1024 + 1, encryptedDataKeyLength: 1),
        (chunkSize: 1024, encryptedDataKeyLength: 0),
        (chunkSize: 1024, encryptedDataKeyLength: EnvelopeFile.maxEncryptedDataKeyBytes + 1),
    ])
    func outOfBoundsArgumentsAreRejected(chunkSize: Int, encryptedDataKeyLength: Int) throws {
        let encryptedDataKey = [UInt8](repeating: 1, count: encryptedDataKeyLength)
        try EnvelopeFixture.with(size: 10) { fixture in
            let output = fixture.directory.appendingPathComponent("out.kmsenv")
            #expect(throws: EnvelopeFileError(.invalidArgument, "")) {
                try EnvelopeFile.encrypt(
                    input: fixture.plaintextFile, output: output, dataKey: fixture.key,
                    encryptedDataKey: encryptedDataKey, context: .empty, chunkSize: chunkSize
                )
            }
            #expect(!FileManager.default.fileExists(atPath: output.path))
        }
    }

    @Test func theLargestEncryptedDataKeyFits() throws {
        try EnvelopeFixture.with(size: 10) { fixture in
            let key = [UInt8](repeating: 9, count: EnvelopeFile.maxEncryptedDataKeyBytes)
            try EnvelopeFile.encrypt(
                input: fixture.plaintextFile, output: fixture.envelopeFile, dataKey: fixture.key,
                encryptedDataKey: key, context: EnvelopeFixture.context
            )
            #expect(try EnvelopeFile.readHeader(of: fixture.envelopeFile).encryptedDataKey == key)
        }
    }

    @Test func aFileThatIsNotAnEnvelopeIsRecognised() throws {
        try EnvelopeFixture.with(size: 100) { fixture in
            let error = try #require(throws: EnvelopeFileError.self) {
                try EnvelopeFile.readHeader(of: fixture.plaintextFile)
            }
            #expect(error.code == .notEnvelopeFile)
            #expect(error.description == "not an envelope file")
        }
    }

    @Test func aMissingInputIsAFileAccessError() throws {
        try EnvelopeFixture.with(size: 0) { fixture in
            let missing = fixture.directory.appendingPathComponent("missing")
            let output = fixture.directory.appendingPathComponent("out")
            #expect(throws: EnvelopeFileError(.fileAccess, "")) {
                try EnvelopeFile.encrypt(
                    input: missing, output: output, dataKey: fixture.key, encryptedDataKey: [1], context: .empty
                )
            }
            #expect(throws: EnvelopeFileError(.fileAccess, "")) {
                try EnvelopeFile.decrypt(input: missing, output: output, dataKey: fixture.key)
            }
            let entries = try fixture.directoryEntries()
            #expect(entries == ["plain.bin", "plain.bin.kmsenv"])
        }
    }

    @Test func anOutputInAMissingDirectoryIsAFileAccessError() throws {
        try EnvelopeFixture.with(size: 0) { fixture in
            let output = fixture.directory.appendingPathComponent("no/such/dir/out")
            #expect(throws: EnvelopeFileError(.fileAccess, "")) {
                try EnvelopeFile.decrypt(input: fixture.envelopeFile, output: output, dataKey: fixture.key)
            }
        }
    }

    @Test func aLengthOutOfBoundsInTheHeaderIsMalformed() throws {
        try EnvelopeFixture.with(size: 0) { fixture in
            // Encrypted data key length 0x7fffffff: refused before anything that large is read.
            try fixture.alterEnvelope { $0.replaceSubrange(12..<16, with: [0x7F, 0xFF, 0xFF, 0xFF]) }
            #expect(throws: EnvelopeFileError(.malformed, "")) { try EnvelopeFile.readHeader(of: fixture.envelopeFile) }
            try fixture.expectDecryptFails(.malformed)
        }
    }
}
