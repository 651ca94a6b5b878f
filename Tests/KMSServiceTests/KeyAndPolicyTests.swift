import Foundation
import KMSCore
import KMSCrypto
import KMSService
import Testing

@Suite struct KeyAndPolicyTests {
    let admin = ServiceFixture.admin
    let alice = ServiceFixture.alice

    @Test func createKeyRecordsMetadataAndTheDefaultPolicyAllowsOnlyTheCreator() async throws {
        try await withService { fixture in
            let metadata = try await fixture.service.createKey(CreateKeyRequest(description: "payments", tags: ["team": "billing"]), context: alice)
            #expect(metadata.keySpec == .symmetricDefault)
            #expect(metadata.keyUsage == .encryptDecrypt)
            #expect(metadata.keyState == .enabled)
            #expect(metadata.currentVersion == 1)
            #expect(metadata.creator == alice.principal)
            #expect(try await fixture.service.describeKey(keyID: metadata.keyID.description, context: alice) == metadata)
            #expect(await errorCode { try await fixture.service.describeKey(keyID: metadata.keyID.description, context: ServiceFixture.mallory) } == .accessDenied)
            #expect(await errorCode {
                try await fixture.service.encrypt(EncryptRequest(keyID: metadata.keyID.description, plaintext: SecretBytes("x")), context: admin)
            } == .accessDenied)
        }
    }

    @Test func createKeyIsDecidedByTheServerPolicy() async throws {
        try await withService { fixture in
            #expect(await errorCode { try await fixture.service.createKey(CreateKeyRequest(), context: ServiceFixture.mallory) } == .accessDenied)
        }
    }

    @Test func createKeyLimits() async throws {
        try await withService { fixture in
            _ = try await fixture.service.createKey(CreateKeyRequest(description: String(repeating: "é", count: 8192)), context: admin)
            #expect(await errorCode { try await fixture.service.createKey(CreateKeyRequest(description: String(repeating: "d", count: 8193)), context: admin) } == .limitExceeded)
            let fifty = Dictionary(uniqueKeysWithValues: (0..<50).map { ("t\($0)", "v") })
            _ = try await fixture.service.createKey(CreateKeyRequest(tags: fifty), context: admin)
            let fiftyOne = Dictionary(uniqueKeysWithValues: (0..<51).map { ("t\($0)", "v") })
            #expect(await errorCode { try await fixture.service.createKey(CreateKeyRequest(tags: fiftyOne), context: admin) } == .limitExceeded)
            #expect(await errorCode { try await fixture.service.createKey(CreateKeyRequest(tags: ["": "v"]), context: admin) } == .validation)
            #expect(await errorCode { try await fixture.service.createKey(CreateKeyRequest(keyUsage: .signVerify), context: admin) } == .validation)
            let bigPolicy = "{\"Statement\": [], \"Pad\": \"" + String(repeating: "x", count: 32 * 1024) + "\"}"
            #expect(await errorCode { try await fixture.service.createKey(CreateKeyRequest(policy: bigPolicy), context: admin) } == .limitExceeded)
            #expect(await errorCode { try await fixture.service.createKey(CreateKeyRequest(policy: "{not json"), context: admin) } == .malformedPolicy)
        }
    }

    @Test func decryptAllowedOnlyForTenantAcme() async throws {
        try await withService { fixture in
            let policy = """
            {"Statement": [
              {"Sid": "Admin", "Effect": "Allow", "Principal": "spiffe://test.example/admin", "Action": "kms:*", "Resource": "*"},
              {"Sid": "AcmeDecrypt", "Effect": "Allow", "Principal": "spiffe://test.example/ns/app/*", "Action": "kms:Decrypt", "Resource": "*",
               "Condition": {"StringEquals": {"kms:EncryptionContext:tenant": "acme"}}}
            ]}
            """
            let keyID = try await fixture.createKey(policy: policy).description
            let acme = try await fixture.service.encrypt(EncryptRequest(keyID: keyID, plaintext: SecretBytes("a"), encryptionContext: ["tenant": "acme"]), context: admin).ciphertextBlob
            let globex = try await fixture.service.encrypt(EncryptRequest(keyID: keyID, plaintext: SecretBytes("g"), encryptionContext: ["tenant": "globex"]), context: admin).ciphertextBlob
            #expect(try await fixture.service.decrypt(DecryptRequest(ciphertextBlob: acme, encryptionContext: ["tenant": "acme"]), context: alice).plaintext == SecretBytes("a"))
            #expect(await errorCode { try await fixture.service.decrypt(DecryptRequest(ciphertextBlob: globex, encryptionContext: ["tenant": "globex"]), context: alice) } == .accessDenied)
            #expect(await errorCode { try await fixture.service.encrypt(EncryptRequest(keyID: keyID, plaintext: SecretBytes("x"), encryptionContext: ["tenant": "acme"]), context: alice) } == .accessDenied)
        }
    }

    @Test func explicitDenyBeatsAllow() async throws {
        try await withService { fixture in
            let policy = """
            {"Statement": [
              {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"},
              {"Sid": "NoAlice", "Effect": "Deny", "Principal": "spiffe://test.example/ns/app/alice", "Action": "kms:Encrypt", "Resource": "*"}
            ]}
            """
            let keyID = try await fixture.createKey(policy: policy).description
            _ = try await fixture.service.encrypt(EncryptRequest(keyID: keyID, plaintext: SecretBytes("x")), context: admin)
            #expect(await errorCode { try await fixture.service.encrypt(EncryptRequest(keyID: keyID, plaintext: SecretBytes("x")), context: alice) } == .accessDenied)
            _ = try await fixture.service.describeKey(keyID: keyID, context: alice)
        }
    }

    @Test func putKeyPolicyTakesEffectAtOnce() async throws {
        try await withService { fixture in
            let keyID = try await fixture.createKey(by: alice).description
            #expect(await errorCode { try await fixture.service.describeKey(keyID: keyID, context: admin) } == .accessDenied)
            let policy = """
            {"Statement": [{"Effect": "Allow", "Principal": ["spiffe://test.example/ns/app/alice", "spiffe://test.example/admin"], "Action": "kms:*", "Resource": "*"}]}
            """
            try await fixture.service.putKeyPolicy(keyID: keyID, policy: policy, context: alice)
            #expect(try await fixture.service.getKeyPolicy(keyID: keyID, context: admin) == policy)
            _ = try await fixture.service.describeKey(keyID: keyID, context: admin)
            #expect(await errorCode { try await fixture.service.putKeyPolicy(keyID: keyID, policy: "[]", context: alice) } == .malformedPolicy)
            #expect(await errorCode { try await fixture.service.putKeyPolicy(keyID: keyID, policy: policy, context: ServiceFixture.mallory) } == .accessDenied)
        }
    }

    @Test func listKeysPagesThroughEveryKey() async throws {
        try await withService { fixture in
            var created: Set<KeyID> = []
            for _ in 0..<7 { created.insert(try await fixture.createKey()) }
            var seen: [KeyID] = []
            var token = ""
            repeat {
                let page = try await fixture.service.listKeys(pageSize: 3, pageToken: token, context: admin)
                #expect(page.keys.count <= 3)
                seen += page.keys.map(\.keyID)
                token = page.nextPageToken
            } while !token.isEmpty
            #expect(seen.count == 7)
            #expect(Set(seen) == created)
            #expect(seen == seen.sorted())
            #expect(await errorCode { try await fixture.service.listKeys(pageSize: 1001, pageToken: "", context: admin) } == .validation)
            #expect(await errorCode { try await fixture.service.listKeys(pageSize: -1, pageToken: "", context: admin) } == .validation)
            #expect(await errorCode { try await fixture.service.listKeys(pageSize: 0, pageToken: "garbage!", context: admin) } == .validation)
            #expect(await errorCode { try await fixture.service.listKeys(pageSize: 0, pageToken: "", context: alice) } == .accessDenied)
        }
    }
}
