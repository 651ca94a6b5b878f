import Foundation
import KMSClient
import KMSProto
import Testing

/// Over mutual TLS: a grantee holding CreateGrant through a grant can give no more than that
/// grant holds, and a grant's RetireGrant retires only that grant.
@Suite struct GrantDelegationEndToEndTests {
    static let legacyPrincipal = "CN=legacy-app,O=Example"
    static let opsID = "spiffe://test.example/ns/ops/sa/worker"
    static let denied = RPCFailure(code: .permissionDenied, reason: "ACCESS_DENIED")

    @Test func aGrantOfCreateGrantCannotEscalate() async throws {
        try await withWorld { world in
            let keyID = try await world.server.withClient(world.app) { client in
                let keyID = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                _ = try await client.createGrant(.with {
                    $0.keyID = keyID
                    $0.granteePrincipal = Self.legacyPrincipal
                    $0.operations = ["CreateGrant", "Decrypt"]
                    $0.constraints.encryptionContextSubset = ["tenant": "acme"]
                })
                return keyID
            }
            try await world.server.withClient(world.legacy) { client in
                func grant(_ operations: [String], subset: [String: String] = [:]) async -> RPCFailure? {
                    await failure {
                        try await client.createGrant(.with {
                            $0.keyID = keyID
                            $0.granteePrincipal = Self.opsID
                            $0.operations = operations
                            $0.constraints.encryptionContextSubset = subset
                        })
                    }
                }
                #expect(await grant(["Decrypt"]) == Self.denied)
                #expect(await grant(["Decrypt"], subset: ["tenant": "globex"]) == Self.denied)
                #expect(await grant(["Encrypt"], subset: ["tenant": "acme"]) == Self.denied)
                #expect(await grant(["Sign"]) == Self.denied)
                #expect(await grant(["Decrypt"], subset: ["tenant": "acme"]) == nil)
            }
            try await world.server.withClient(world.app) { client in
                let grants = try await client.listGrants(.with { $0.keyID = keyID }).grants
                #expect(grants.count == 2)
                #expect(grants.filter { $0.granteePrincipal == Self.opsID }.map(\.constraints.encryptionContextSubset) == [["tenant": "acme"]])
            }
        }
    }

    @Test func aGrantOfRetireGrantRetiresOnlyItself() async throws {
        try await withWorld { world in
            let (keyID, own, other) = try await world.server.withClient(world.app) { client in
                let keyID = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                func grant(_ grantee: String, _ operations: [String]) async throws -> Kms_V1_CreateGrantResponse {
                    try await client.createGrant(.with { $0.keyID = keyID; $0.granteePrincipal = grantee; $0.operations = operations })
                }
                return (keyID, try await grant(Self.legacyPrincipal, ["RetireGrant", "Decrypt"]), try await grant(Self.opsID, ["Decrypt"]))
            }
            try await world.server.withClient(world.legacy) { client in
                #expect(await failure { try await client.retireGrant(.with { $0.keyID = keyID; $0.grantID = other.grantID }) } == Self.denied)
                #expect(await failure { try await client.retireGrant(.with { $0.grantToken = other.grantToken }) } == Self.denied)
                _ = try await client.retireGrant(.with { $0.keyID = keyID; $0.grantID = own.grantID })
            }
            try await world.server.withClient(world.app) { client in
                let remaining = try await client.listGrants(.with { $0.keyID = keyID }).grants.map(\.grantID)
                #expect(remaining == [other.grantID])
            }
        }
    }
}
