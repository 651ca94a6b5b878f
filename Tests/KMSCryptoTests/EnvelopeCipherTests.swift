import KMSCore
import KMSCrypto
import Testing

@Suite struct EnvelopeCipherTests {
    let material = KeyMaterial.generate()
    let keyID = KeyID.random()
    let version: KeyVersion = 3

    func seal(_ plaintext: SecretBytes, context: EncryptionContext = .empty) -> [UInt8] {
        EnvelopeCipher.seal(plaintext, keyID: keyID, version: version, material: material, context: context)
    }

    func open(
        _ blob: [UInt8],
        keyID: KeyID? = nil,
        version: KeyVersion? = nil,
        material: KeyMaterial? = nil,
        context: EncryptionContext = .empty
    ) throws(KMSError) -> SecretBytes {
        try EnvelopeCipher.open(
            blob,
            keyID: keyID ?? self.keyID,
            version: version ?? self.version,
            material: material ?? self.material,
            context: context
        )
    }

    static let plaintextSizes = [0, 1, 16, 31, 32, 1024, Limits.maxPlaintextBytes, CiphertextBlob.maxPlaintextByteCount]

    @Test(arguments: plaintextSizes)
    func roundTripAddsExactlyTheOverhead(size: Int) throws {
        let plaintext = SecretBytes.random(count: size)
        let context = try EncryptionContext(["tenant": "acme", "purpose": "round-trip"])
        let blob = seal(plaintext, context: context)
        #expect(blob.count == size + 81)
        #expect(blob.count <= Limits.maxCiphertextBytes)
        #expect(try open(blob, context: context) == plaintext)
    }

    @Test func overheadConstantsMatchTheFormat() {
        #expect(CiphertextBlob.headerByteCount == 65)
        #expect(CiphertextBlob.overheadByteCount == 81)
        #expect(CiphertextBlob.maxPlaintextByteCount == Limits.maxCiphertextBytes - 81)
    }

    @Test func eachSealUsesAFreshSaltAndNonce() {
        let plaintext = SecretBytes(copying: Array("same message".utf8))
        let first = seal(plaintext)
        let second = seal(plaintext)
        #expect(first[21..<65] != second[21..<65])
        #expect(first != second)
    }

    @Test func blobStartsWithFormatKeyIDAndBigEndianVersion() {
        let blob = EnvelopeCipher.seal(
            SecretBytes(copying: [1, 2, 3]), keyID: keyID, version: 0x0102_0304, material: material, context: .empty
        )
        #expect(blob[0] == 0x02)
        #expect(Array(blob[1..<17]) == keyID.bytes)
        #expect(Array(blob[17..<21]) == [0x01, 0x02, 0x03, 0x04])
    }

    @Test func everyFlippedBitFailsWithTheSameMessage() throws {
        let context = try EncryptionContext(["tenant": "acme"])
        let blob = seal(SecretBytes(copying: Array("flip me".utf8)), context: context)
        var messages = Set<String>()
        for index in blob.indices {
            for bit in 0..<8 {
                var tampered = blob
                tampered[index] ^= UInt8(1) << bit
                let message = expectInvalidCiphertext("byte \(index) bit \(bit)") {
                    () throws(KMSError) in try open(tampered, context: context)
                }
                if let message { messages.insert(message) }
            }
        }
        #expect(messages.count == 1)
        #expect(messages == [try referenceMessage()])
    }

    @Test func everyTruncationFails() throws {
        let blob = seal(SecretBytes(copying: Array("truncate me".utf8)))
        let reference = try referenceMessage()
        for length in 0..<blob.count {
            let message = expectInvalidCiphertext("length \(length)") {
                () throws(KMSError) in try open(Array(blob.prefix(length)))
            }
            #expect(message == reference)
        }
    }

    @Test func anAppendedByteFails() throws {
        let blob = seal(SecretBytes(copying: Array("extend me".utf8)))
        for extra: UInt8 in [0x00, 0x01, 0xff] {
            let message = expectInvalidCiphertext { () throws(KMSError) in try open(blob + [extra]) }
            #expect(message == (try referenceMessage()))
        }
    }

    @Test func aBlobLongerThanTheLimitFailsEvenWithAValidPrefix() throws {
        let blob = seal(SecretBytes.random(count: CiphertextBlob.maxPlaintextByteCount))
        #expect(blob.count == Limits.maxCiphertextBytes)
        let message = expectInvalidCiphertext { () throws(KMSError) in try open(blob + [0]) }
        #expect(message == (try referenceMessage()))
    }

    @Test func anUnknownFormatVersionOrTheOtherFormatFails() throws {
        var blob = seal(SecretBytes(copying: [42]))
        for format: UInt8 in [0x00, 0x01, 0x03, 0xff] {
            blob[0] = format
            let message = expectInvalidCiphertext("format \(format)") { () throws(KMSError) in try open(blob) }
            #expect(message == (try referenceMessage()))
        }
    }

    static let contextMismatches: [(sealed: [String: String], opened: [String: String])] = [
        (["tenant": "acme"], ["tenant": "acme-corp"]),
        (["tenant": "acme"], ["Tenant": "acme"]),
        (["tenant": "acme"], ["tenant": "acme", "purpose": "extra"]),
        (["tenant": "acme", "purpose": "billing"], ["tenant": "acme"]),
        (["tenant": "acme"], [:]),
        ([:], ["tenant": "acme"]),
        (["ab": "c"], ["a": "bc"]),
    ]

    @Test(arguments: contextMismatches)
    func aDifferentContextFails(sealed: [String: String], opened: [String: String]) throws {
        let blob = seal(SecretBytes(copying: Array("context bound".utf8)), context: try EncryptionContext(sealed))
        let message = expectInvalidCiphertext { () throws(KMSError) in
            try open(blob, context: try EncryptionContext(opened))
        }
        #expect(message == (try referenceMessage()))
    }

    @Test func contextPairOrderDoesNotMatter() throws {
        let plaintext = SecretBytes(copying: Array("order".utf8))
        let blob = seal(plaintext, context: try EncryptionContext(["a": "1", "b": "2", "c": "3"]))
        #expect(try open(blob, context: try EncryptionContext(["c": "3", "a": "1", "b": "2"])) == plaintext)
    }

    @Test func wrongMaterialFails() throws {
        let blob = seal(SecretBytes(copying: Array("material bound".utf8)))
        let message = expectInvalidCiphertext { () throws(KMSError) in try open(blob, material: KeyMaterial.generate()) }
        #expect(message == (try referenceMessage()))
    }

    @Test func anotherKeyIDOrVersionThanTheBlobNamesFails() throws {
        let blob = seal(SecretBytes(copying: Array("header bound".utf8)))
        let reference = try referenceMessage()
        #expect(expectInvalidCiphertext { () throws(KMSError) in try open(blob, keyID: KeyID.random()) } == reference)
        #expect(expectInvalidCiphertext { () throws(KMSError) in try open(blob, version: version + 1) } == reference)
    }

    @Test func aHeaderRewrittenToAnotherKeyIDOrVersionFailsEvenWhenTheCallerAgrees() throws {
        let blob = seal(SecretBytes(copying: Array("header bound".utf8)))
        let otherKeyID = KeyID.random()
        var movedKey = blob
        movedKey.replaceSubrange(1..<17, with: otherKeyID.bytes)
        expectInvalidCiphertext { () throws(KMSError) in try open(movedKey, keyID: otherKeyID) }
        var movedVersion = blob
        movedVersion[20] ^= 0x01
        expectInvalidCiphertext { () throws(KMSError) in try open(movedVersion, version: version ^ 0x01) }
    }

    /// The message of one well-understood failure, which every other failure must repeat.
    func referenceMessage() throws -> String {
        try #require(expectInvalidCiphertext { () throws(KMSError) in try open([]) })
    }
}
