import Foundation
import GRPCCore
import KMSClient
import KMSProto
import Testing

@Suite struct RoundTripTests {
    @Test func envelopeEncryptionOverMutualTLS() async throws {
        try await withWorld { world in
            try await world.server.withClient(world.app) { client in
                let identity = try await client.getCallerIdentity(Kms_V1_GetCallerIdentityRequest())
                #expect(identity.principal == TestPKI.appID)
                #expect(identity.certificateSans.contains("URI:\(TestPKI.appID)"))
                #expect(identity.certificateSubject == "CN=app")

                let key = try await client.createKey(.with { $0.description_p = "orders"; $0.tags = ["team": "payments"] }).keyMetadata
                #expect(key.creator == TestPKI.appID)
                #expect(key.keyState == .enabled)
                #expect(key.keySpec == .symmetricDefault)
                #expect(key.keyUsage == .encryptDecrypt)
                #expect(key.currentKeyVersion == 1)
                #expect(try await client.describeKey(.with { $0.keyID = key.keyID }).keyMetadata == key)

                let sealed = try await client.encrypt(.with {
                    $0.keyID = key.keyID
                    $0.plaintext = Data("card 4111".utf8)
                    $0.encryptionContext = ["order": "42"]
                })
                #expect(sealed.keyID == key.keyID)
                #expect(sealed.keyVersion == 1)
                let opened = try await client.decrypt(.with {
                    $0.ciphertextBlob = sealed.ciphertextBlob
                    $0.encryptionContext = ["order": "42"]
                    $0.keyID = key.keyID
                })
                #expect(opened.plaintext == Data("card 4111".utf8))

                let dataKey = try await client.generateDataKey(.with {
                    $0.keyID = key.keyID
                    $0.keySpec = .aes256
                    $0.encryptionContext = ["file": "a"]
                })
                #expect(dataKey.plaintext.count == 32)
                #expect(dataKey.keyID == key.keyID)
                let unwrapped = try await client.decrypt(.with {
                    $0.ciphertextBlob = dataKey.ciphertextBlob
                    $0.encryptionContext = ["file": "a"]
                })
                #expect(unwrapped.plaintext == dataKey.plaintext)

                let withoutPlaintext = try await client.generateDataKeyWithoutPlaintext(.with {
                    $0.keyID = key.keyID
                    $0.numberOfBytes = 16
                })
                #expect(try await client.decrypt(.with { $0.ciphertextBlob = withoutPlaintext.ciphertextBlob }).plaintext.count == 16)

                let second = try await client.createKey(.with { $0.description_p = "second" }).keyMetadata
                let moved = try await client.reEncrypt(.with {
                    $0.ciphertextBlob = sealed.ciphertextBlob
                    $0.sourceEncryptionContext = ["order": "42"]
                    $0.destinationKeyID = second.keyID
                })
                #expect(moved.sourceKeyID == key.keyID)
                #expect(moved.keyID == second.keyID)
                #expect(try await client.decrypt(.with { $0.ciphertextBlob = moved.ciphertextBlob }).plaintext == Data("card 4111".utf8))

                let policy = try await client.getKeyPolicy(.with { $0.keyID = key.keyID }).policy
                #expect(policy.contains(TestPKI.appID))
            }
        }
    }

    @Test func adminListsAndGeneratesRandom() async throws {
        try await withWorld { world in
            try await world.server.withClient(world.admin) { client in
                var created: Set<String> = []
                for index in 0..<5 {
                    created.insert(try await client.createKey(.with { $0.description_p = "k\(index)" }).keyMetadata.keyID)
                }
                var listed: [String] = []
                var token = ""
                repeat {
                    let page = try await client.listKeys(.with { $0.pageSize = 2; $0.pageToken = token })
                    listed += page.keys.map(\.keyID)
                    token = page.nextPageToken
                } while !token.isEmpty
                #expect(Set(listed) == created)
                #expect(listed.count == 5)
                let random = try await client.generateRandom(.with { $0.numberOfBytes = 1024 })
                #expect(random.plaintext.count == 1024)
            }
        }
    }

    @Test func healthServiceReportsServing() async throws {
        try await withWorld { world in
            let status = try await world.server.healthStatus(world.app)
            #expect(status == .serving)
        }
    }

    @Test func restartLosesNothing() async throws {
        try await withWorld { world in
            let (keyID, blob) = try await world.server.withClient(world.app) { client in
                let key = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                let blob = try await client.encrypt(.with { $0.keyID = key; $0.plaintext = Data("before restart".utf8) }).ciphertextBlob
                return (key, blob)
            }
            try await world.restart()
            try await world.server.withClient(world.app) { client in
                let opened = try await client.decrypt(.with { $0.ciphertextBlob = blob })
                let described = try await client.describeKey(.with { $0.keyID = keyID })
                #expect(opened.plaintext == Data("before restart".utf8))
                #expect(described.keyMetadata.keyID == keyID)
            }
        }
    }
}
