import KMSCore
import KMSCrypto
import Testing

@Suite struct RootKeyTests {
    static func makeRootKey() throws -> RootKey {
        try SecretBytes.random(count: 32).withUnsafeBytes { bytes throws(KMSError) in try RootKey(bytes: bytes) }
    }

    @Test(arguments: [0, 16, 31, 33, 64])
    func aRootKeyMustBe32Bytes(length: Int) {
        #expect(throws: KMSError(.validation, "")) { try RootKey(bytes: [UInt8](repeating: 1, count: length)) }
    }

    @Test func wrapThenUnwrapGivesTheMaterialBack() throws {
        let root = try Self.makeRootKey()
        let material = KeyMaterial.generate()
        let keyID = KeyID.random()
        let wrapped = root.wrap(material, keyID: keyID, version: 1)
        #expect(wrapped.count == 61)
        #expect(wrapped.first == 0x01)
        #expect(try root.unwrap(wrapped, keyID: keyID, version: 1) == material)
    }

    @Test func aRootKeyLoadedFromTheSameBytesUnwraps() throws {
        let bytes = [UInt8](repeating: 0x5a, count: 32)
        let material = KeyMaterial.generate()
        let keyID = KeyID.random()
        let wrapped = try RootKey(bytes: bytes).wrap(material, keyID: keyID, version: 4)
        #expect(try RootKey(bytes: bytes).unwrap(wrapped, keyID: keyID, version: 4) == material)
    }

    @Test func wrappingTwiceUsesAFreshNonce() throws {
        let root = try Self.makeRootKey()
        let material = KeyMaterial.generate()
        let keyID = KeyID.random()
        #expect(root.wrap(material, keyID: keyID, version: 1) != root.wrap(material, keyID: keyID, version: 1))
    }

    @Test func wrappedMaterialDoesNotUnwrapForAnotherKeyIDOrVersion() throws {
        let root = try Self.makeRootKey()
        let keyID = KeyID.random()
        let wrapped = root.wrap(.generate(), keyID: keyID, version: 2)
        #expect(throws: KMSError(.internalFailure, "")) { try root.unwrap(wrapped, keyID: KeyID.random(), version: 2) }
        #expect(throws: KMSError(.internalFailure, "")) { try root.unwrap(wrapped, keyID: keyID, version: 1) }
        #expect(throws: KMSError(.internalFailure, "")) { try root.unwrap(wrapped, keyID: keyID, version: 3) }
        #expect(throws: KMSError(.internalFailure, "")) { try root.unwrap(wrapped, keyID: keyID, version: 2 | 0x0100_0000) }
    }

    @Test func wrappedMaterialDoesNotUnwrapUnderAnotherRootKey() throws {
        let keyID = KeyID.random()
        let wrapped = try Self.makeRootKey().wrap(.generate(), keyID: keyID, version: 1)
        #expect(throws: KMSError(.internalFailure, "")) { try Self.makeRootKey().unwrap(wrapped, keyID: keyID, version: 1) }
    }

    @Test func everyFlippedByteOrWrongLengthFailsToUnwrap() throws {
        let root = try Self.makeRootKey()
        let keyID = KeyID.random()
        let wrapped = root.wrap(.generate(), keyID: keyID, version: 1)
        for index in wrapped.indices {
            var tampered = wrapped
            tampered[index] ^= 0x01
            #expect(throws: KMSError(.internalFailure, ""), "byte \(index)") {
                try root.unwrap(tampered, keyID: keyID, version: 1)
            }
        }
        #expect(throws: KMSError(.internalFailure, "")) { try root.unwrap(wrapped.dropLast(), keyID: keyID, version: 1) }
        #expect(throws: KMSError(.internalFailure, "")) { try root.unwrap(wrapped + [0], keyID: keyID, version: 1) }
        #expect(throws: KMSError(.internalFailure, "")) { try root.unwrap([], keyID: keyID, version: 1) }
    }

    @Test func theUnwrapErrorNamesTheKeyButNoBytes() throws {
        let root = try Self.makeRootKey()
        let keyID = KeyID.random()
        let material = KeyMaterial.generate()
        let wrapped = root.wrap(material, keyID: keyID, version: 1)
        do {
            _ = try root.unwrap(wrapped, keyID: keyID, version: 2)
            Issue.record("unwrap for another version succeeded")
        } catch {
            #expect(error.message.contains(keyID.description))
            #expect(!error.message.contains(wrapped.hex))
            #expect(!error.message.contains(Array(wrapped[1..<13]).hex))
        }
    }

    @Test func theVerifierAcceptsTheSameRootKeyOnly() throws {
        let bytes = [UInt8](repeating: 0x33, count: 32)
        let verifier = try RootKey(bytes: bytes).makeVerifier()
        #expect(try RootKey(bytes: bytes).verifies(verifier))
        #expect(try RootKey(bytes: bytes).makeVerifier() != verifier)
        var otherBytes = bytes
        otherBytes[31] ^= 0x01
        #expect(!(try RootKey(bytes: otherBytes).verifies(verifier)))
        #expect(!(try Self.makeRootKey().verifies(verifier)))
    }

    @Test func aChangedVerifierOrWrappedKeyIsNotAVerifier() throws {
        let root = try Self.makeRootKey()
        let verifier = root.makeVerifier()
        for index in verifier.indices {
            var tampered = verifier
            tampered[index] ^= 0x01
            #expect(!root.verifies(tampered), "byte \(index)")
        }
        #expect(!root.verifies([]))
        #expect(!root.verifies(verifier.dropLast()))
        #expect(!root.verifies(root.wrap(.generate(), keyID: .random(), version: 1)))
    }
}
