import Crypto
import Foundation
import KMSClient
import KMSCore
import Testing

/// Every change to an envelope file, and every wrong key, fails decryption without leaving output.
@Suite struct EnvelopeFileTamperTests {
    /// 3 full chunks of 1024 bytes and a final chunk of 17.
    static let size = 3 * 1024 + 17

    @Test func aWrongKeyFailsAtTheFirstChunk() throws {
        try EnvelopeFixture.with(size: Self.size) { fixture in
            let error = try fixture.expectDecryptFails(.authenticationFailed, key: SymmetricKey(size: .bits256))
            #expect(error.description == "chunk 0 failed authentication (file altered or wrong key)")
        }
    }

    @Test func aKeyOfAnotherSizeIsRejected() throws {
        try EnvelopeFixture.with(size: 10) { fixture in
            try fixture.expectDecryptFails(.invalidArgument, key: SymmetricKey(size: .bits192))
            let output = fixture.directory.appendingPathComponent("out.kmsenv")
            let error = try #require(throws: EnvelopeFileError.self) {
                try EnvelopeFile.encrypt(
                    input: fixture.plaintextFile, output: output, dataKey: SymmetricKey(size: .bits192),
                    encryptedDataKey: [1], context: .empty
                )
            }
            #expect(error.code == .invalidArgument)
            #expect(!FileManager.default.fileExists(atPath: output.path))
        }
    }

    /// Offsets into the header: magic, chunk size, key length, key, context length, context, nonce prefix.
    @Test(arguments: [
        0, 10, 15, EnvelopeFixture.keyOffset, EnvelopeFixture.contextLengthOffset + 3,
        EnvelopeFixture.contextOffset + 5, EnvelopeFixture.noncePrefixOffset + 6,
    ])
    func flippingAHeaderByteFails(offset: Int) throws {
        try EnvelopeFixture.with(size: Self.size) { fixture in
            try fixture.alterEnvelope { $0[offset] ^= 0x01 }
            let error = try #require(throws: EnvelopeFileError.self) {
                try EnvelopeFile.decrypt(input: fixture.envelopeFile, output: fixture.decryptedFile, dataKey: fixture.key)
            }
            #expect(error.code != .fileAccess, "\(error)")
            #expect(!FileManager.default.fileExists(atPath: fixture.decryptedFile.path))
            #expect(try fixture.directoryEntries() == ["plain.bin", "plain.bin.kmsenv"])
        }
    }

    @Test func flippingAnAuthenticatedHeaderByteFailsAuthentication() throws {
        // A byte of the encrypted data key: the header still parses, but its hash (the AAD) changed.
        try EnvelopeFixture.with(size: Self.size) { fixture in
            try fixture.alterEnvelope { $0[EnvelopeFixture.keyOffset] ^= 0x80 }
            try fixture.expectDecryptFails(.authenticationFailed)
        }
    }

    @Test func flippingAByteInAMiddleChunkFailsThatChunk() throws {
        try EnvelopeFixture.with(size: Self.size) { fixture in
            try fixture.alterEnvelope { $0[EnvelopeFixture.headerLength + fixture.storedChunkLength + 100] ^= 0x01 }
            let error = try fixture.expectDecryptFails(.authenticationFailed)
            #expect(error.description == "chunk 1 failed authentication (file altered or wrong key)")
        }
    }

    @Test(arguments: [17, 1024])
    func flippingTheLastTagByteFails(size: Int) throws {
        try EnvelopeFixture.with(size: size) { fixture in
            try fixture.alterEnvelope { $0[$0.count - 1] ^= 0x01 }
            try fixture.expectDecryptFails(.authenticationFailed)
        }
    }

    @Test func droppingTheFinalChunkIsTruncation() throws {
        try EnvelopeFixture.with(size: Self.size) { fixture in
            try fixture.alterEnvelope { $0 = $0.prefix(EnvelopeFixture.headerLength + 3 * fixture.storedChunkLength) }
            let error = try fixture.expectDecryptFails(.truncated)
            #expect(error.description == "file is truncated")
        }
    }

    @Test func droppingTheEmptyFinalChunkIsTruncation() throws {
        try EnvelopeFixture.with(size: 2 * 1024) { fixture in
            try fixture.alterEnvelope { $0.removeLast(16) }
            try fixture.expectDecryptFails(.truncated)
        }
    }

    @Test func droppingAllChunksIsTruncation() throws {
        try EnvelopeFixture.with(size: 0) { fixture in
            try fixture.alterEnvelope { $0 = $0.prefix(EnvelopeFixture.headerLength) }
            try fixture.expectDecryptFails(.truncated)
        }
    }

    @Test(arguments: [8, 20, EnvelopeFixture.headerLength - 1])
    func cuttingInsideTheHeaderIsTruncation(length: Int) throws {
        try EnvelopeFixture.with(size: 5) { fixture in
            try fixture.alterEnvelope { $0 = $0.prefix(length) }
            try fixture.expectDecryptFails(.truncated)
            #expect(throws: EnvelopeFileError(.truncated, "")) { try EnvelopeFile.readHeader(of: fixture.envelopeFile) }
        }
    }

    @Test func cuttingInsideAChunkFails() throws {
        // The cut chunk is read as a final chunk, but it was sealed as a non-final one.
        try EnvelopeFixture.with(size: Self.size) { fixture in
            try fixture.alterEnvelope { $0 = $0.prefix(EnvelopeFixture.headerLength + fixture.storedChunkLength + 500) }
            let error = try fixture.expectDecryptFails(.authenticationFailed)
            #expect(error.description.hasPrefix("chunk 1 "))
        }
    }

    @Test func droppingAMiddleChunkFails() throws {
        try EnvelopeFixture.with(size: Self.size) { fixture in
            let start = EnvelopeFixture.headerLength + fixture.storedChunkLength
            try fixture.alterEnvelope { $0.removeSubrange(start..<start + fixture.storedChunkLength) }
            try fixture.expectDecryptFails(.authenticationFailed)
        }
    }

    @Test func swappingTwoChunksFails() throws {
        try EnvelopeFixture.with(size: Self.size) { fixture in
            try fixture.alterEnvelope { bytes in
                let first = EnvelopeFixture.headerLength
                let second = first + fixture.storedChunkLength
                let chunk0 = bytes[first..<second]
                let chunk1 = bytes[second..<second + fixture.storedChunkLength]
                bytes.replaceSubrange(first..<second + fixture.storedChunkLength, with: chunk1 + chunk0)
            }
            let error = try fixture.expectDecryptFails(.authenticationFailed)
            #expect(error.description.hasPrefix("chunk 0 "))
        }
    }

    /// One byte, one tag's worth, and enough to make the final chunk look like a full one.
    @Test(arguments: [1, 16, (1024 + 16) - (17 + 16)])
    func appendingBytesFails(count: Int) throws {
        try EnvelopeFixture.with(size: Self.size) { fixture in
            try fixture.alterEnvelope { $0.append(Data(repeating: 0, count: count)) }
            try fixture.expectDecryptFails(.authenticationFailed)
        }
    }

    @Test func appendingAChunkAfterAnEmptyFinalChunkFails() throws {
        try EnvelopeFixture.with(size: 1024) { fixture in
            try fixture.alterEnvelope { $0.append(Data(repeating: 7, count: 40)) }
            try fixture.expectDecryptFails(.authenticationFailed)
        }
    }

    @Test func aFailedDecryptionLeavesAnExistingOutputUntouched() throws {
        try EnvelopeFixture.with(size: Self.size) { fixture in
            try Data("previous contents".utf8).write(to: fixture.decryptedFile)
            try fixture.alterEnvelope { $0[$0.count - 1] ^= 0x01 }
            #expect(throws: EnvelopeFileError(.authenticationFailed, "")) {
                try EnvelopeFile.decrypt(input: fixture.envelopeFile, output: fixture.decryptedFile, dataKey: fixture.key)
            }
            #expect(try Data(contentsOf: fixture.decryptedFile) == Data("previous contents".utf8))
            #expect(try fixture.directoryEntries() == ["plain.bin", "plain.bin.kmsenv", "decrypted.bin"])
        }
    }
}
