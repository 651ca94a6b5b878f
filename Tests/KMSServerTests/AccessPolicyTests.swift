import Foundation
import KMSClient
import KMSProto
import Testing

/// Policies decide per principal, as named by the client certificate.
@Suite struct AccessPolicyTests {
    @Test func decryptOnlyForTenantAcmeAndDenyBeatsAllow() async throws {
        try await withWorld { world in
            let policy = """
            {"Version": "2012-10-17", "Statement": [
              {"Sid": "Owner", "Effect": "Allow", "Principal": "\(TestPKI.appID)", "Action": "kms:*", "Resource": "*"},
              {"Sid": "LegacyDecryptsAcme", "Effect": "Allow", "Principal": "CN=legacy-app,O=Example", "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*",
               "Condition": {"StringEquals": {"kms:EncryptionContext:tenant": "acme"}}},
              {"Sid": "EveryoneDescribes", "Effect": "Allow", "Principal": "*", "Action": "kms:DescribeKey", "Resource": "*"},
              {"Sid": "NoDescribeForLegacy", "Effect": "Deny", "Principal": "CN=legacy-app,*", "Action": "kms:DescribeKey", "Resource": "*"}
            ]}
            """
            let (keyID, acme, globex) = try await world.server.withClient(world.app) { client in
                let key = try await client.createKey(.with { $0.policy = policy }).keyMetadata.keyID
                let acme = try await client.encrypt(.with { $0.keyID = key; $0.plaintext = Data("acme secret".utf8); $0.encryptionContext = ["tenant": "acme"] }).ciphertextBlob
                let globex = try await client.encrypt(.with { $0.keyID = key; $0.plaintext = Data("globex secret".utf8); $0.encryptionContext = ["tenant": "globex"] }).ciphertextBlob
                return (key, acme, globex)
            }
            try await world.server.withClient(world.legacy) { client in
                let identity = try await client.getCallerIdentity(Kms_V1_GetCallerIdentityRequest())
                #expect(identity.principal == "CN=legacy-app,O=Example")
                let opened = try await client.decrypt(.with { $0.ciphertextBlob = acme; $0.encryptionContext = ["tenant": "acme"] })
                #expect(opened.plaintext == Data("acme secret".utf8))
                #expect(await failure { try await client.decrypt(.with { $0.ciphertextBlob = globex; $0.encryptionContext = ["tenant": "globex"] }) }
                    == RPCFailure(code: .permissionDenied, reason: "ACCESS_DENIED"))
                #expect(await failure { try await client.encrypt(.with { $0.keyID = keyID; $0.plaintext = Data("x".utf8); $0.encryptionContext = ["tenant": "acme"] }) }
                    == RPCFailure(code: .permissionDenied, reason: "ACCESS_DENIED"))
                #expect(await failure { try await client.describeKey(.with { $0.keyID = keyID }) }
                    == RPCFailure(code: .permissionDenied, reason: "ACCESS_DENIED"))
            }
            try await world.server.withClient(world.admin) { client in
                // The server policy gives the admin kms:* on every key.
                let described = try await client.describeKey(.with { $0.keyID = keyID })
                #expect(described.keyMetadata.keyID == keyID)
            }
        }
    }
}
