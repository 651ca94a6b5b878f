import KMSCore
import KMSCrypto
import KMSService
import Testing

/// Naming keys by alias in the `key_id` fields of every operation.
@Suite struct AliasResolutionTests {
    let admin = ServiceFixture.admin
    let alice = ServiceFixture.alice

    @Test func anAliasWorksInEveryKeyIDField() async throws {
        try await withService { fixture in
            let service = fixture.service
            let keyID = try await fixture.createKey()
            let otherID = try await fixture.createKey()
            try await service.createAlias(name: "alias/app", targetKeyID: keyID.description, context: admin)
            try await service.createAlias(name: "alias/other", targetKeyID: otherID.description, context: admin)

            let sealed = try await service.encrypt(EncryptRequest(keyID: "alias/app", plaintext: SecretBytes("by alias")), context: admin)
            #expect(sealed.keyID == keyID)
            let opened = try await service.decrypt(DecryptRequest(ciphertextBlob: sealed.ciphertextBlob, keyID: "alias/app"), context: admin)
            #expect(opened.plaintext == SecretBytes("by alias"))
            #expect(opened.keyID == keyID)
            #expect(await errorCode {
                try await service.decrypt(DecryptRequest(ciphertextBlob: sealed.ciphertextBlob, keyID: "alias/other"), context: admin)
            } == .incorrectKey)

            let dataKey = try await service.generateDataKey(GenerateDataKeyRequest(keyID: "alias/app", keySpec: .aes256), context: admin)
            #expect(dataKey.keyID == keyID)
            let withoutPlaintext = try await service.generateDataKeyWithoutPlaintext(GenerateDataKeyRequest(keyID: "alias/app", numberOfBytes: 8), context: admin)
            #expect(withoutPlaintext.keyID == keyID)

            let moved = try await service.reEncrypt(
                ReEncryptRequest(ciphertextBlob: sealed.ciphertextBlob, sourceKeyID: "alias/app", destinationKeyID: "alias/other"),
                context: admin
            )
            #expect(moved.sourceKeyID == keyID)
            #expect(moved.keyID == otherID)
            #expect(await errorCode {
                try await service.reEncrypt(ReEncryptRequest(ciphertextBlob: sealed.ciphertextBlob, sourceKeyID: "alias/other", destinationKeyID: "alias/app"), context: admin)
            } == .incorrectKey)

            #expect(try await service.describeKey(keyID: "alias/app", context: admin).keyID == keyID)
            let policy = try await service.getKeyPolicy(keyID: keyID.description, context: admin)
            #expect(try await service.getKeyPolicy(keyID: "alias/app", context: admin) == policy)
            try await service.tagResource(keyID: "alias/app", tags: ["via": "alias"], context: admin)
            #expect(try await service.listResourceTags(keyID: keyID.description, context: admin).tags == ["via": "alias"])
        }
    }

    @Test func aMissingAliasIsKeyNotFoundAndABadOneIsValidation() async throws {
        try await withService { fixture in
            let service = fixture.service
            let error = await #expect(throws: KMSError.self) {
                try await service.encrypt(EncryptRequest(keyID: "alias/missing", plaintext: SecretBytes("x")), context: admin)
            }
            #expect(error?.code == .keyNotFound)
            #expect(error?.message.contains("alias/missing") == true)
            #expect(await errorCode { try await service.describeKey(keyID: "alias/kms/reserved", context: admin) } == .keyNotFound)
            for bad in ["alias/", "alias/bad name", "alias/" + String(repeating: "a", count: Limits.maxAliasNameCharacters)] {
                let invalid = await #expect(throws: KMSError.self) {
                    try await service.generateDataKey(GenerateDataKeyRequest(keyID: bad, keySpec: .aes256), context: admin)
                }
                #expect(invalid?.code == .validation)
                #expect(invalid?.message.hasPrefix("key_id") == true)
            }
            let destination = await #expect(throws: KMSError.self) {
                try await service.reEncrypt(ReEncryptRequest(ciphertextBlob: [1], destinationKeyID: "alias/"), context: admin)
            }
            #expect(destination?.message.hasPrefix("destination_key_id") == true)
        }
    }

    @Test func updatingAnAliasChangesWhichKeyEncryptUses() async throws {
        try await withService { fixture in
            let service = fixture.service
            let first = try await fixture.createKey()
            let second = try await fixture.createKey()
            try await service.createAlias(name: "alias/current", targetKeyID: first.description, context: admin)
            // Warm the alias cache first: the update must reach requests after it.
            #expect(try await service.encrypt(EncryptRequest(keyID: "alias/current", plaintext: SecretBytes("x")), context: admin).keyID == first)
            try await service.updateAlias(name: "alias/current", targetKeyID: second.description, context: admin)
            #expect(try await service.encrypt(EncryptRequest(keyID: "alias/current", plaintext: SecretBytes("x")), context: admin).keyID == second)
            #expect(try await service.describeKey(keyID: "alias/current", context: admin).keyID == second)
        }
    }

    @Test func aDeletedAliasNamesNoKey() async throws {
        try await withService { fixture in
            let service = fixture.service
            let keyID = try await fixture.createKey()
            try await service.createAlias(name: "alias/gone", targetKeyID: keyID.description, context: admin)
            _ = try await service.encrypt(EncryptRequest(keyID: "alias/gone", plaintext: SecretBytes("x")), context: admin)
            try await service.deleteAlias(name: "alias/gone", context: admin)
            #expect(await errorCode { try await service.encrypt(EncryptRequest(keyID: "alias/gone", plaintext: SecretBytes("x")), context: admin) } == .keyNotFound)
            #expect(await errorCode { try await service.describeKey(keyID: "alias/gone", context: admin) } == .keyNotFound)
            #expect(try await service.encrypt(EncryptRequest(keyID: keyID.description, plaintext: SecretBytes("x")), context: admin).keyID == keyID)
        }
    }

    @Test func aRequestAliasConditionAllowsOnlyThroughThatAlias() async throws {
        try await withService { fixture in
            let service = fixture.service
            let policy = """
            {"Statement": [
              {"Sid": "Admin", "Effect": "Allow", "Principal": "spiffe://test.example/admin", "Action": "kms:*", "Resource": "*"},
              {"Sid": "ViaAlias", "Effect": "Allow", "Principal": "spiffe://test.example/ns/app/alice",
               "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"], "Resource": "*",
               "Condition": {"StringEquals": {"kms:RequestAlias": "alias/payments"}}}
            ]}
            """
            let keyID = try await fixture.createKey(policy: policy)
            try await service.createAlias(name: "alias/payments", targetKeyID: keyID.description, context: admin)
            try await service.createAlias(name: "alias/elsewhere", targetKeyID: keyID.description, context: admin)

            let sealed = try await service.encrypt(EncryptRequest(keyID: "alias/payments", plaintext: SecretBytes("pay")), context: alice)
            #expect(sealed.keyID == keyID)
            #expect(try await service.decrypt(DecryptRequest(ciphertextBlob: sealed.ciphertextBlob, keyID: "alias/payments"), context: alice).plaintext == SecretBytes("pay"))
            #expect(try await service.describeKey(keyID: "alias/payments", context: alice).keyID == keyID)

            #expect(await errorCode { try await service.encrypt(EncryptRequest(keyID: keyID.description, plaintext: SecretBytes("x")), context: alice) } == .accessDenied)
            #expect(await errorCode { try await service.encrypt(EncryptRequest(keyID: "alias/elsewhere", plaintext: SecretBytes("x")), context: alice) } == .accessDenied)
            #expect(await errorCode { try await service.decrypt(DecryptRequest(ciphertextBlob: sealed.ciphertextBlob), context: alice) } == .accessDenied)
            #expect(await errorCode { try await service.decrypt(DecryptRequest(ciphertextBlob: sealed.ciphertextBlob, keyID: keyID.description), context: alice) } == .accessDenied)
            #expect(await errorCode { try await service.describeKey(keyID: keyID.description, context: alice) } == .accessDenied)
        }
    }
}
