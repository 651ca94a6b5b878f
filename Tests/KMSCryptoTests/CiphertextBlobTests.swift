import KMSCore
import KMSCrypto
import Testing

@Suite struct CiphertextBlobTests {
    @Test func parseHeaderReturnsTheKeyIDAndVersionSealedWith() throws {
        let keyID = KeyID.random()
        for version: KeyVersion in [1, 2, 258, 0x0102_0304, .max] {
            let blob = EnvelopeCipher.seal(
                SecretBytes(copying: [7]), keyID: keyID, version: version, material: .generate(), context: .empty
            )
            let header = try CiphertextBlob.parseHeader(blob)
            #expect(header.keyID == keyID)
            #expect(header.keyVersion == version)
        }
    }

    @Test func parseHeaderNeedsNoMaterialAndIgnoresTheBody() throws {
        let keyID = KeyID.random()
        let blob = [0x01] + keyID.bytes + [0, 0, 0, 9] + [UInt8](repeating: 0xee, count: 60)
        let header = try CiphertextBlob.parseHeader(blob)
        #expect(header.keyID == keyID)
        #expect(header.keyVersion == 9)
    }

    @Test(arguments: [0, 1, 21, 65, 80])
    func parseHeaderRejectsABlobShorterThanTheOverhead(length: Int) {
        let blob = [0x01] + [UInt8](repeating: 0, count: max(0, length - 1))
        expectInvalidCiphertext { () throws(KMSError) in try CiphertextBlob.parseHeader(blob.prefix(length)) }
    }

    @Test func parseHeaderRejectsABlobLongerThanTheLimit() throws {
        let blob = [0x01] + [UInt8](repeating: 0, count: Limits.maxCiphertextBytes)
        expectInvalidCiphertext { () throws(KMSError) in try CiphertextBlob.parseHeader(blob) }
        _ = try CiphertextBlob.parseHeader(blob.prefix(Limits.maxCiphertextBytes))
    }

    @Test(arguments: [UInt8(0x00), 0x03, 0x80, 0xff])
    func parseHeaderRejectsAnUnknownFormatVersion(format: UInt8) {
        let blob = [format] + [UInt8](repeating: 0, count: 80)
        expectInvalidCiphertext { () throws(KMSError) in try CiphertextBlob.parseHeader(blob) }
    }
}
