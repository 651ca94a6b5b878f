import Crypto
import Foundation
import KMSClient
import KMSCore
import Testing

/// A scratch directory holding one plaintext file and its envelope, removed after each test.
struct EnvelopeFixture {
    static let encryptedDataKey: [UInt8] = Array(repeating: 0xE0, count: 40) + Array("opaque server blob".utf8)
    static let context: EncryptionContext = {
        do { return try EncryptionContext(["tenant": "acme", "purpose": "backup"]) } catch { fatalError("\(error)") }
    }()

    let directory: URL
    let key = SymmetricKey(size: .bits256)
    let chunkSize: Int
    let plaintext: Data

    var plaintextFile: URL { directory.appendingPathComponent("plain.bin") }
    var envelopeFile: URL { directory.appendingPathComponent("plain.bin.kmsenv") }
    var decryptedFile: URL { directory.appendingPathComponent("decrypted.bin") }

    /// Bytes before the first chunk, as documented: magic, chunk size, key length + key,
    /// context length + context, nonce prefix.
    static var headerLength: Int { noncePrefixOffset + 7 }
    /// Where the encrypted data key starts, after magic (8), chunk size (4) and its length (4).
    static let keyOffset = 16
    /// Where the encryption context's length is.
    static var contextLengthOffset: Int { keyOffset + encryptedDataKey.count }
    /// Where the encryption context's canonical encoding starts.
    static var contextOffset: Int { contextLengthOffset + 4 }
    /// Where the nonce prefix starts.
    static var noncePrefixOffset: Int { contextOffset + context.canonicalEncoding.count }

    /// Bytes of one stored full chunk: plaintext plus the 16-byte tag.
    var storedChunkLength: Int { chunkSize + 16 }

    /// Runs `body` with a fixture whose plaintext file of `size` random bytes is already
    /// encrypted; removes the directory afterwards.
    static func with(
        size: Int, chunkSize: Int = 1024, _ body: (EnvelopeFixture) throws -> Void
    ) throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("EnvelopeFileTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: directory) }
        var generator = SystemRandomNumberGenerator()
        let plaintext = Data((0..<size).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        let fixture = EnvelopeFixture(directory: directory, chunkSize: chunkSize, plaintext: plaintext)
        try plaintext.write(to: fixture.plaintextFile)
        try EnvelopeFile.encrypt(
            input: fixture.plaintextFile, output: fixture.envelopeFile, dataKey: fixture.key,
            encryptedDataKey: encryptedDataKey, context: context, chunkSize: chunkSize
        )
        try body(fixture)
    }

    /// Rewrites the envelope file with `change` applied to its bytes.
    func alterEnvelope(_ change: (inout Data) -> Void) throws {
        var bytes = try Data(contentsOf: envelopeFile)
        change(&bytes)
        try bytes.write(to: envelopeFile)
    }

    /// The names in the directory, to show that no temporary file was left behind.
    func directoryEntries() throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: directory.path))
    }

    /// Decrypts the envelope with `key` (the fixture's by default) and expects a failure with
    /// `code`, no output file and no leftover temporary file; returns the error.
    @discardableResult
    func expectDecryptFails(
        _ code: EnvelopeFileError.Code, key: SymmetricKey? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> EnvelopeFileError {
        let before = try directoryEntries()
        let error = try #require(throws: EnvelopeFileError.self, sourceLocation: sourceLocation) {
            try EnvelopeFile.decrypt(input: envelopeFile, output: decryptedFile, dataKey: key ?? self.key)
        }
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: decryptedFile.path), sourceLocation: sourceLocation)
        #expect(try directoryEntries() == before, sourceLocation: sourceLocation)
        return error
    }
}
