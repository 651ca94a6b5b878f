import KMSCore
import KMSCrypto
import KMSService
import Testing

/// Disabling and enabling single versions of a key.
@Suite struct KeyVersionTests {
    let admin = ServiceFixture.admin

    /// A key with versions 1, 2 and 3 and a blob under each ("v1", "v2", "v3").
    private func keyWithThreeVersions(_ fixture: ServiceFixture) async throws -> (KeyID, [[UInt8]]) {
        let keyID = try await fixture.createKey()
        var blobs: [[UInt8]] = []
        for version in 1...3 {
            if version > 1 { _ = try await fixture.service.rotateKeyOnDemand(keyID: keyID.description, context: admin) }
            blobs.append(try await fixture.service.encrypt("v\(version)", under: keyID).ciphertextBlob)
        }
        return (keyID, blobs)
    }

    @Test func aDisabledVersionRefusesDecryptWhileTheOthersWork() async throws {
        var keyID = KeyID.random()
        var blobs: [[UInt8]] = []
        try await withRestartedService { fixture in
            let service = fixture.service
            (keyID, blobs) = try await keyWithThreeVersions(fixture)
            let id = keyID.description
            // Warm the cached material of version 2: disabling must reach it.
            #expect(try await service.decryptText(blobs[1]) == "v2")

            try await service.disableKeyVersion(keyID: id, version: 2, context: admin)
            #expect(await errorCode { try await service.decryptText(blobs[1]) } == .keyVersionDisabled)
            #expect(await errorCode { try await service.reEncrypt(ReEncryptRequest(ciphertextBlob: blobs[1], destinationKeyID: id), context: admin) } == .keyVersionDisabled)
            #expect(try await service.decryptText(blobs[0]) == "v1")
            #expect(try await service.decryptText(blobs[2]) == "v3")
            #expect(try await service.encrypt("new", under: keyID).keyVersion == 3)
            // Authorization and the key's state come first.
            #expect(await errorCode { try await service.decrypt(DecryptRequest(ciphertextBlob: blobs[1]), context: ServiceFixture.mallory) } == .accessDenied)
            try await service.disableKey(keyID: id, context: admin)
            #expect(await errorCode { try await service.decryptText(blobs[1]) } == .keyDisabled)
            try await service.enableKey(keyID: id, context: admin)
            // Disabling twice changes nothing.
            try await service.disableKeyVersion(keyID: id, version: 2, context: admin)
        } then: { restarted in
            let service = restarted.service
            let id = keyID.description
            #expect(await errorCode { try await service.decryptText(blobs[1]) } == .keyVersionDisabled)
            #expect(try await service.decryptText(blobs[0]) == "v1")
            try await service.enableKeyVersion(keyID: id, version: 2, context: admin)
            #expect(try await service.decryptText(blobs[1]) == "v2")
            try await service.enableKeyVersion(keyID: id, version: 2, context: admin)
            #expect(try await service.decryptText(blobs[1]) == "v2")
        }
    }

    @Test func theCurrentVersionCannotBeDisabled() async throws {
        try await withService { fixture in
            let (keyID, blobs) = try await keyWithThreeVersions(fixture)
            let id = keyID.description
            #expect(await errorCode { try await fixture.service.disableKeyVersion(keyID: id, version: 3, context: admin) } == .invalidState)
            #expect(try await fixture.service.decryptText(blobs[2]) == "v3")
            // A second node that has not seen the latest rotation cannot disable the new current version either.
            let second = try fixture.secondNode()
            _ = try await second.encrypt("warm", under: keyID)
            _ = try await fixture.service.rotateKeyOnDemand(keyID: id, context: admin)
            #expect(await errorCode { try await second.disableKeyVersion(keyID: id, version: 4, context: admin) } == .invalidState)
            try await second.disableKeyVersion(keyID: id, version: 3, context: admin)
        }
    }

    @Test(arguments: [0, 4, KeyVersion.max])
    func aMissingVersionIsKeyVersionNotFound(version: KeyVersion) async throws {
        try await withService { fixture in
            let (keyID, _) = try await keyWithThreeVersions(fixture)
            #expect(await errorCode { try await fixture.service.disableKeyVersion(keyID: keyID.description, version: version, context: admin) } == .keyVersionNotFound)
            #expect(await errorCode { try await fixture.service.enableKeyVersion(keyID: keyID.description, version: version, context: admin) } == .keyVersionNotFound)
        }
    }
}
