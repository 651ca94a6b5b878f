import Foundation
import KMSCore
import KMSCrypto
@testable import KMSServer
import Testing

/// The root key file is read, decoded and written only through scratch buffers that are
/// zeroed before they are freed, and reads exactly what it read before (Foundation's base64).
@Suite struct RootKeyFileBytesTests {
    // MARK: - Zeroing

    @Test func scratchBuffersAreZeroedBeforeTheyAreFreed() {
        var seen: [UInt8] = []
        let sum = RootKeyFileBytes.withScratchBuffer(byteCount: 64, beforeRelease: { seen = Array($0) }) { buffer in
            #expect(buffer.allSatisfy { $0 == 0 }, "a fresh buffer starts zeroed")
            buffer.copyBytes(from: [UInt8](repeating: 0xA5, count: 64))
            return buffer.reduce(0) { $0 + Int($1) }
        }
        #expect(sum == 64 * 0xA5)
        #expect(seen == [UInt8](repeating: 0, count: 64))
    }

    @Test func scratchBuffersAreZeroedWhenTheBodyThrows() {
        struct Stop: Error {}
        var seen: [UInt8] = []
        #expect(throws: Stop.self) {
            try RootKeyFileBytes.withScratchBuffer(byteCount: 16, beforeRelease: { seen = Array($0) }) { buffer throws(Stop) in
                buffer.copyBytes(from: [UInt8](repeating: 0xFF, count: 16))
                throw Stop()
            }
        }
        #expect(seen == [UInt8](repeating: 0, count: 16))
    }

    @Test func zeroizeOverwritesEveryByte() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 33, alignment: 1)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: (0..<33).map { UInt8($0 + 1) })
        RootKeyFileBytes.zeroize(buffer)
        #expect(buffer.allSatisfy { $0 == 0 })
        RootKeyFileBytes.zeroize(UnsafeMutableRawBufferPointer(start: nil, count: 0))
    }

    // MARK: - Base64, as Foundation reads and writes it

    static func decoded(_ text: String) -> [UInt8]? {
        Array(text.utf8).withUnsafeBytes { RootKeyFileBytes.withDecodedBase64($0) { Array($0) } } ?? nil
    }

    @Test func decodingMatchesFoundationForEveryLength() {
        for count in 0...70 {
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255) }
            let text = Data(bytes).base64EncodedString()
            #expect(Self.decoded(text) == bytes, "\(count) bytes")
            #expect(Self.decoded(" \t" + text + "\r\n\n") == bytes, "\(count) bytes with whitespace around")
        }
    }

    @Test(arguments: ["QUJD", "QUI=", "QQ==", "QR==", "QUJ=", "", "QUJDQQ==", "+/+/", "////"])
    func decodingAcceptsWhatFoundationAccepts(_ text: String) {
        #expect(Self.decoded(text) == Data(base64Encoded: text).map { Array($0) })
    }

    /// Foundation refuses these too, except `QU=J` (padding inside), which it reads as two
    /// bytes; a root key file never holds it.
    @Test(arguments: ["QUI", "QQ", "Q===", "QU JD", "QUJD\nQUJD", "QU=J", "QUJD=", "QUJ*", "QUJD-_", "=QUJ", "\u{00E9}QUJ"])
    func decodingRefusesWhatIsNotPaddedBase64(_ text: String) {
        #expect(Self.decoded(text) == nil, "\(text)")
    }

    @Test func encodingMatchesFoundationForEveryLength() {
        for count in 0...70 {
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255) }
            let line = RootKeyFileBytes.withBase64Line(of: SecretBytes(copying: bytes)) { Array($0) }
            #expect(line == Array((Data(bytes).base64EncodedString() + "\n").utf8), "\(count) bytes")
        }
    }

    // MARK: - The file

    @Test func aCreatedFileLoadsTheSameKey() throws {
        try withDirectory { directory in
            let path = directory.appendingPathComponent("root.key").path
            let created = try RootKeyFile.create(path: path)
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.count == 45 && text.hasSuffix("\n"))
            #expect(Data(base64Encoded: String(text.dropLast()))?.count == 32)
            let loaded = try #require(try RootKeyFile.load(path: path))
            #expect(loaded.verifies(created.makeVerifier()))
            #expect(throws: StartupError.self) { try RootKeyFile.create(path: path) }
        }
    }

    /// A file written by hand (another tool's base64, CRLF, spaces) loads the key its bytes
    /// name, the same key Foundation's decoding of the text gives.
    @Test(arguments: ["{}\n", "{}", "{}\r\n", "  {}  \n\n"])
    func aHandWrittenFileLoadsTheKeyItNames(_ format: String) throws {
        try withDirectory { directory in
            let bytes = (0..<32).map { _ in UInt8.random(in: 0...255) }
            let file = directory.appendingPathComponent("root.key")
            try writeRootKeyFile(Data(format.replacingOccurrences(of: "{}", with: Data(bytes).base64EncodedString()).utf8), to: file)
            let loaded = try #require(try RootKeyFile.load(path: file.path))
            #expect(loaded.verifies(try RootKey(bytes: bytes).makeVerifier()))
        }
    }

    @Test(arguments: [
        Data((Data(count: 31).base64EncodedString() + "\n").utf8),
        Data((Data(count: 33).base64EncodedString() + "\n").utf8),
        Data("not a key\n".utf8),
        Data(),
        Data(repeating: UInt8(ascii: " "), count: 4096) + Data((Data(count: 32).base64EncodedString()).utf8),
    ])
    func aFileThatIsNotTheBase64OfThirtyTwoBytesIsRefused(_ contents: Data) throws {
        try withDirectory { directory in
            let file = directory.appendingPathComponent("root.key")
            try writeRootKeyFile(contents, to: file)
            let error = #expect(throws: StartupError.self) { try RootKeyFile.load(path: file.path) }
            let expected = contents.count > RootKeyFileBytes.maximumFileByteCount
                ? "the root key file \(file.path) is larger than 4096 bytes; it must hold one line of base64"
                : "the root key file \(file.path) does not hold the base64 of exactly 32 bytes"
            #expect(error?.description == expected)
        }
    }

    @Test func anUnreadableFileIsRefusedWithTheReason() throws {
        try withDirectory { directory in
            let file = directory.appendingPathComponent("root.key")
            try FileManager.default.createDirectory(at: file, withIntermediateDirectories: false)
            #expect(chmod(file.path, 0o700) == 0)
            let error = #expect(throws: StartupError.self) { try RootKeyFile.load(path: file.path) }
            #expect(error?.description.hasPrefix("cannot read the root key file \(file.path): ") == true, "\(String(describing: error))")
        }
    }

    @Test func contentsAreReadWhole() throws {
        try withDirectory { directory in
            let file = directory.appendingPathComponent("bytes")
            let bytes = (0..<4096).map { UInt8(truncatingIfNeeded: $0 * 7) }
            try Data(bytes).write(to: file)
            #expect(try RootKeyFileBytes.withContents(ofFile: file.path) { Array($0) } == bytes)
        }
    }

    private func withDirectory(_ body: (URL) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kms-root-key-bytes-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try body(directory)
    }
}
