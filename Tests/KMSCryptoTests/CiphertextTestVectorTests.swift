import KMSCore
@testable import KMSCrypto
import Testing

/// The vectors in docs/CIPHERTEXT.md, computed independently of this code (Python's
/// `cryptography`; `tools/interop/test_ciphertext_vectors.py` recomputes them): they pin both
/// formats. Format 1 blobs must open forever; format 2 is what the server writes.
@Suite struct CiphertextTestVectorTests {
    @Test func contextEncodesAsDocumented() throws {
        let vector = try CiphertextTestVector.inputs()
        #expect(vector.context.canonicalEncoding.hex == CiphertextTestVector.contextEncodingHex)
    }

    @Test(arguments: CiphertextBlob.Format.allCases)
    func sealWithTheVectorInputsGivesExactlyTheVectorBlob(format: CiphertextBlob.Format) throws {
        let vector = try CiphertextTestVector.inputs()
        let blob = EnvelopeCipher.seal(
            SecretBytes(copying: CiphertextTestVector.plaintext.utf8),
            keyID: vector.keyID,
            version: CiphertextTestVector.version,
            material: vector.material,
            context: vector.context,
            format: format,
            salt: vector.salt,
            nonce: vector.nonce
        )
        #expect(blob.hex == CiphertextTestVector.blobHex(format))
    }

    @Test(arguments: CiphertextBlob.Format.allCases)
    func theVectorBlobDecrypts(format: CiphertextBlob.Format) throws {
        let vector = try CiphertextTestVector.inputs()
        let blob = try #require([UInt8](hex: CiphertextTestVector.blobHex(format)))
        let header = try CiphertextBlob.parseHeader(blob)
        #expect(header.keyID == vector.keyID)
        #expect(header.keyVersion == CiphertextTestVector.version)
        let plaintext = try EnvelopeCipher.open(
            blob,
            keyID: vector.keyID,
            version: CiphertextTestVector.version,
            material: vector.material,
            context: vector.context
        )
        #expect(plaintext == SecretBytes(copying: CiphertextTestVector.plaintext.utf8))
    }

    @Test func theFormatTwoMessageKeyIsTheDocumentedCounterModeBlock() throws {
        let vector = try CiphertextTestVector.inputs()
        let blob = try #require([UInt8](hex: CiphertextTestVector.formatTwoBlobHex))
        let key = vector.material.messageKeys.deriveKey(context: blob[..<CiphertextBlob.saltRange.upperBound])
        #expect(key.withUnsafeBytes { Array($0) }.hex == CiphertextTestVector.formatTwoMessageKeyHex)
    }

    @Test func newBlobsAreFormatTwo() throws {
        let vector = try CiphertextTestVector.inputs()
        let blob = EnvelopeCipher.seal(
            SecretBytes(copying: CiphertextTestVector.plaintext.utf8),
            keyID: vector.keyID, version: 1, material: vector.material, context: vector.context
        )
        #expect(blob.first == CiphertextBlob.Format.current.rawValue)
        #expect(CiphertextBlob.Format.current == .counterModeHMAC)
    }

    @Test func aFormatOneBlobRelabelledAsFormatTwoDoesNotOpen() throws {
        let vector = try CiphertextTestVector.inputs()
        var blob = try #require([UInt8](hex: CiphertextTestVector.formatOneBlobHex))
        blob[0] = CiphertextBlob.Format.counterModeHMAC.rawValue
        #expect(throws: CiphertextBlob.invalid) {
            try EnvelopeCipher.open(
                blob, keyID: vector.keyID, version: CiphertextTestVector.version,
                material: vector.material, context: vector.context
            )
        }
    }
}
