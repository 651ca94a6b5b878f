import Crypto
import Foundation
import KMSClient
import KMSCore
import Testing

@Suite struct EnvelopeFileRoundTripTests {
    @Test(arguments: [0, 1, 1023, 1024, 1025, 3 * 1024 + 17])
    func roundTripsAtChunkBoundaries(size: Int) throws {
        try EnvelopeFixture.with(size: size) { fixture in
            try EnvelopeFile.decrypt(input: fixture.envelopeFile, output: fixture.decryptedFile, dataKey: fixture.key)
            #expect(try Data(contentsOf: fixture.decryptedFile) == fixture.plaintext)
            // Full chunks, then one final chunk of fewer than chunk-size bytes (possibly empty).
            let chunkCount = size / fixture.chunkSize + 1
            let envelopeSize = try #require(
                try FileManager.default.attributesOfItem(atPath: fixture.envelopeFile.path)[.size] as? Int
            )
            #expect(envelopeSize == EnvelopeFixture.headerLength + size + 16 * chunkCount)
        }
    }

    @Test func roundTripsFiveMebibytesAtTheDefaultChunkSize() throws {
        try EnvelopeFixture.with(size: 5 * 1024 * 1024 + 333, chunkSize: EnvelopeFile.defaultChunkSize) { fixture in
            try EnvelopeFile.decrypt(input: fixture.envelopeFile, output: fixture.decryptedFile, dataKey: fixture.key)
            #expect(try Data(contentsOf: fixture.decryptedFile) == fixture.plaintext)
        }
    }

    @Test func headerReadsBackTheEncryptedKeyContextAndChunkSize() throws {
        try EnvelopeFixture.with(size: 10, chunkSize: 4096) { fixture in
            let header = try EnvelopeFile.readHeader(of: fixture.envelopeFile)
            #expect(header.encryptedDataKey == EnvelopeFixture.encryptedDataKey)
            #expect(header.encryptionContext == EnvelopeFixture.context)
            #expect(header.chunkSize == 4096)
        }
    }

    @Test func headerBytesFollowTheDocumentedLayout() throws {
        try EnvelopeFixture.with(size: 0) { fixture in
            let bytes = try Data(contentsOf: fixture.envelopeFile)
            let key = EnvelopeFixture.encryptedDataKey
            let context = EnvelopeFixture.context.canonicalEncoding
            let expected: [UInt8] = Array("SKMSENV1".utf8) + [0, 0, 0x04, 0x00]
                + [0, 0, 0, UInt8(key.count)] + key + [0, 0, 0, UInt8(context.count)] + context
            #expect(Array(bytes.prefix(expected.count)) == expected)
            // Then the 7-byte nonce prefix and the empty final chunk: its 16-byte tag alone.
            #expect(bytes.count == expected.count + 7 + 16)
        }
    }

    @Test func aFixedVectorDecryptsForever() throws {
        // The vector in docs/ENVELOPE_FILE.md: key 00 01 … 1f, chunk size 1024, context
        // {"purpose": "test"}, encrypted data key "edk", plaintext "hello, envelope".
        let key = SymmetricKey(data: (0..<32).map { UInt8($0) })
        let envelope = try #require(Data(hex: EnvelopeFileVector.envelopeHex))
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("EnvelopeFileVector-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("vector.kmsenv")
        let output = directory.appendingPathComponent("vector.txt")
        try envelope.write(to: input)

        let header = try EnvelopeFile.readHeader(of: input)
        #expect(header.encryptedDataKey == Array("edk".utf8))
        #expect(header.encryptionContext == (try EncryptionContext(["purpose": "test"])))
        try EnvelopeFile.decrypt(input: input, output: output, dataKey: key)
        #expect(try Data(contentsOf: output) == Data("hello, envelope".utf8))
    }

    @Test func aHundredTwentyEightBitDataKeyAndAnEmptyContextWork() throws {
        try EnvelopeFixture.with(size: 1500) { fixture in
            let key = SymmetricKey(size: .bits128)
            try EnvelopeFile.encrypt(
                input: fixture.plaintextFile, output: fixture.envelopeFile, dataKey: key,
                encryptedDataKey: [1], context: .empty, chunkSize: 1024
            )
            #expect(try EnvelopeFile.readHeader(of: fixture.envelopeFile).encryptionContext == .empty)
            try EnvelopeFile.decrypt(input: fixture.envelopeFile, output: fixture.decryptedFile, dataKey: key)
            #expect(try Data(contentsOf: fixture.decryptedFile) == fixture.plaintext)
        }
    }

    @Test func encryptingTwiceGivesDifferentFiles() throws {
        try EnvelopeFixture.with(size: 100) { fixture in
            let second = fixture.directory.appendingPathComponent("second.kmsenv")
            try EnvelopeFile.encrypt(
                input: fixture.plaintextFile, output: second, dataKey: fixture.key,
                encryptedDataKey: EnvelopeFixture.encryptedDataKey, context: EnvelopeFixture.context, chunkSize: 1024
            )
            #expect(try Data(contentsOf: second) != Data(contentsOf: fixture.envelopeFile))
        }
    }

    @Test func decryptingInPlaceReplacesTheFile() throws {
        try EnvelopeFixture.with(size: 2500) { fixture in
            try EnvelopeFile.decrypt(input: fixture.envelopeFile, output: fixture.envelopeFile, dataKey: fixture.key)
            #expect(try Data(contentsOf: fixture.envelopeFile) == fixture.plaintext)
            #expect(try fixture.directoryEntries() == ["plain.bin", "plain.bin.kmsenv"])
        }
    }
}
