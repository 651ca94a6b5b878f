import KMSCore
import KMSCrypto
import Testing

/// The vector in docs/CIPHERTEXT.md, computed independently of this code: it pins the format.
@Suite struct CiphertextTestVectorTests {
    @Test func contextEncodesAsDocumented() throws {
        let vector = try CiphertextTestVector.inputs()
        #expect(vector.context.canonicalEncoding.hex == CiphertextTestVector.contextEncodingHex)
    }

    @Test func sealWithTheVectorInputsGivesExactlyTheVectorBlob() throws {
        let vector = try CiphertextTestVector.inputs()
        let blob = EnvelopeCipher.seal(
            SecretBytes(copying: CiphertextTestVector.plaintext.utf8),
            keyID: vector.keyID,
            version: CiphertextTestVector.version,
            material: vector.material,
            context: vector.context,
            salt: vector.salt,
            nonce: vector.nonce
        )
        #expect(blob.hex == CiphertextTestVector.blobHex)
    }

    @Test func theVectorBlobDecrypts() throws {
        let vector = try CiphertextTestVector.inputs()
        let header = try CiphertextBlob.parseHeader(vector.blob)
        #expect(header.keyID == vector.keyID)
        #expect(header.keyVersion == CiphertextTestVector.version)
        let plaintext = try EnvelopeCipher.open(
            vector.blob,
            keyID: vector.keyID,
            version: CiphertextTestVector.version,
            material: vector.material,
            context: vector.context
        )
        #expect(plaintext == SecretBytes(copying: CiphertextTestVector.plaintext.utf8))
    }
}
