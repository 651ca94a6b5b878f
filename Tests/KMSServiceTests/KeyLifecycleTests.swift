import KMSCore
import KMSCrypto
import KMSService
import Testing

/// Enabling and disabling keys, and changing their description.
@Suite struct KeyLifecycleTests {
    let admin = ServiceFixture.admin

    @Test func aDisabledKeyRefusesCryptographyUntilEnabled() async throws {
        try await withService { fixture in
            let service = fixture.service
            let keyID = try await fixture.createKey()
            let id = keyID.description
            let other = try await fixture.createKey().description
            // Warm the key cache: the state change must reach requests after it.
            let blob = try await service.encrypt(EncryptRequest(keyID: id, plaintext: SecretBytes("secret")), context: admin).ciphertextBlob
            let otherBlob = try await service.encrypt(EncryptRequest(keyID: other, plaintext: SecretBytes("moved")), context: admin).ciphertextBlob

            try await service.disableKey(keyID: id, context: admin)
            #expect(try await service.describeKey(keyID: id, context: admin).keyState == .disabled)
            #expect(await errorCode { try await service.encrypt(EncryptRequest(keyID: id, plaintext: SecretBytes("x")), context: admin) } == .keyDisabled)
            #expect(await errorCode { try await service.decrypt(DecryptRequest(ciphertextBlob: blob), context: admin) } == .keyDisabled)
            #expect(await errorCode { try await service.generateDataKey(GenerateDataKeyRequest(keyID: id, keySpec: .aes256), context: admin) } == .keyDisabled)
            #expect(await errorCode { try await service.generateDataKeyWithoutPlaintext(GenerateDataKeyRequest(keyID: id, numberOfBytes: 16), context: admin) } == .keyDisabled)
            #expect(await errorCode { try await service.reEncrypt(ReEncryptRequest(ciphertextBlob: otherBlob, destinationKeyID: id), context: admin) } == .keyDisabled)
            #expect(await errorCode { try await service.reEncrypt(ReEncryptRequest(ciphertextBlob: blob, destinationKeyID: other), context: admin) } == .keyDisabled)

            // Metadata operations keep working on a disabled key.
            try await service.disableKey(keyID: id, context: admin)
            try await service.updateKeyDescription(keyID: id, description: "retired", context: admin)
            try await service.tagResource(keyID: id, tags: ["state": "off"], context: admin)
            #expect(try await service.listResourceTags(keyID: id, context: admin).tags == ["state": "off"])
            try await service.untagResource(keyID: id, tagKeys: ["state"], context: admin)
            try await service.createAlias(name: "alias/retired", targetKeyID: id, context: admin)
            let described = try await service.describeKey(keyID: "alias/retired", context: admin)
            #expect(described.keyID == keyID)
            #expect(described.description == "retired")
            #expect(described.keyState == .disabled)
            _ = try await service.getKeyPolicy(keyID: id, context: admin)

            try await service.enableKey(keyID: "alias/retired", context: admin)
            try await service.enableKey(keyID: id, context: admin)
            #expect(try await service.describeKey(keyID: id, context: admin).keyState == .enabled)
            #expect(try await service.decrypt(DecryptRequest(ciphertextBlob: blob), context: admin).plaintext == SecretBytes("secret"))
            #expect(try await service.encrypt(EncryptRequest(keyID: id, plaintext: SecretBytes("x")), context: admin).keyID == keyID)
            #expect(try await service.generateDataKey(GenerateDataKeyRequest(keyID: id, keySpec: .aes128), context: admin).plaintext?.count == 16)
        }
    }

    @Test func stateAndDescriptionSurviveARestart() async throws {
        var keyID = ""
        try await withRestartedService { fixture in
            keyID = try await fixture.createKey().description
            try await fixture.service.disableKey(keyID: keyID, context: admin)
            try await fixture.service.updateKeyDescription(keyID: keyID, description: "kept", context: admin)
        } then: { restarted in
            let metadata = try await restarted.service.describeKey(keyID: keyID, context: admin)
            #expect(metadata.keyState == .disabled)
            #expect(metadata.description == "kept")
            #expect(await errorCode { try await restarted.service.encrypt(EncryptRequest(keyID: keyID, plaintext: SecretBytes("x")), context: admin) } == .keyDisabled)
            try await restarted.service.enableKey(keyID: keyID, context: admin)
            _ = try await restarted.service.encrypt(EncryptRequest(keyID: keyID, plaintext: SecretBytes("x")), context: admin)
        }
    }

    @Test func descriptionIsReplacedUpToTheLimit() async throws {
        try await withService { fixture in
            let keyID = try await fixture.createKey().description
            // Warm the cache so a stale description would show.
            #expect(try await fixture.service.describeKey(keyID: keyID, context: admin).description == "test key")
            let longest = String(repeating: "é", count: Limits.maxDescriptionCharacters)
            try await fixture.service.updateKeyDescription(keyID: keyID, description: longest, context: admin)
            #expect(try await fixture.service.describeKey(keyID: keyID, context: admin).description == longest)
            #expect(await errorCode {
                try await fixture.service.updateKeyDescription(keyID: keyID, description: longest + "x", context: admin)
            } == .limitExceeded)
            #expect(try await fixture.service.describeKey(keyID: keyID, context: admin).description == longest)
            try await fixture.service.updateKeyDescription(keyID: keyID, description: "", context: admin)
            #expect(try await fixture.service.describeKey(keyID: keyID, context: admin).description == "")
        }
    }
}
