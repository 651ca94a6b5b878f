import Foundation
import KMSClient
import KMSProto
import Testing

/// Grants, the PutKeyPolicy lockout check and ExplainAccess, end to end over mutual TLS.
@Suite struct GrantsAndExplainTests {
    static let legacyPrincipal = "CN=legacy-app,O=Example"
    static let opsID = "spiffe://test.example/ns/ops/sa/retirer"
    static let denied = RPCFailure(code: .permissionDenied, reason: "ACCESS_DENIED")
    static let grantNotFound = RPCFailure(code: .notFound, reason: "GRANT_NOT_FOUND")
    static let invalid = RPCFailure(code: .invalidArgument, reason: "VALIDATION")

    /// A key the app created (with `policy`, or the default one) and two ciphertexts under it,
    /// for tenants acme and globex.
    struct TenantKey {
        let keyID: String
        let acme: Data
        let globex: Data
    }

    static func makeKey(_ world: TestWorld, policy: String = "") async throws -> TenantKey {
        try await world.server.withClient(world.app) { client in
            let key = try await client.createKey(.with { $0.policy = policy }).keyMetadata.keyID
            func seal(_ tenant: String) async throws -> Data {
                try await client.encrypt(.with {
                    $0.keyID = key
                    $0.plaintext = Data("\(tenant) secret".utf8)
                    $0.encryptionContext = ["tenant": tenant]
                }).ciphertextBlob
            }
            return TenantKey(keyID: key, acme: try await seal("acme"), globex: try await seal("globex"))
        }
    }

    /// A Decrypt grant for the legacy app, limited to tenant acme, created by the app.
    static func grantAcmeDecrypt(_ world: TestWorld, on key: TenantKey, retiring: String = "", name: String = "") async throws -> Kms_V1_CreateGrantResponse {
        try await world.server.withClient(world.app) { client in
            try await client.createGrant(.with {
                $0.keyID = key.keyID
                $0.granteePrincipal = legacyPrincipal
                $0.operations = ["Decrypt"]
                $0.retiringPrincipal = retiring
                $0.constraints.encryptionContextSubset = ["tenant": "acme"]
                $0.name = name
            })
        }
    }

    static func decrypt(_ client: KMSServiceClient, _ blob: Data, tenant: String) async throws -> Data {
        try await client.decrypt(.with { $0.ciphertextBlob = blob; $0.encryptionContext = ["tenant": tenant] }).plaintext
    }

    @Test func grantAllowsOnlyTheGranteeTheListedOperationsWithinConstraints() async throws {
        try await withWorld { world in
            let key = try await Self.makeKey(world)
            try await world.server.withClient(world.legacy) { client in
                #expect(await failure { try await Self.decrypt(client, key.acme, tenant: "acme") } == Self.denied)
            }
            let created = try await Self.grantAcmeDecrypt(world, on: key)
            #expect(created.grantID.count == 64)
            #expect(!created.grantToken.isEmpty)
            try await world.server.withClient(world.legacy) { client in
                let opened = try await Self.decrypt(client, key.acme, tenant: "acme")
                #expect(opened == Data("acme secret".utf8))
                #expect(await failure { try await Self.decrypt(client, key.globex, tenant: "globex") } == Self.denied)
                #expect(await failure {
                    try await client.encrypt(.with { $0.keyID = key.keyID; $0.plaintext = Data("x".utf8); $0.encryptionContext = ["tenant": "acme"] })
                } == Self.denied)
                #expect(await failure { try await client.describeKey(.with { $0.keyID = key.keyID }) } == Self.denied)
            }
            let ops = try world.pki.client("ops", spiffeIDs: [Self.opsID])
            try await world.server.withClient(ops) { client in
                // The grant is for the legacy app only.
                #expect(await failure { try await Self.decrypt(client, key.acme, tenant: "acme") } == Self.denied)
            }
            try await world.server.withClient(world.app) { client in
                let listed = try await client.listGrants(.with { $0.keyID = key.keyID }).grants
                #expect(listed.map(\.grantID) == [created.grantID])
                #expect(listed.first?.operations == ["Decrypt"])
                #expect(listed.first?.granteePrincipal == Self.legacyPrincipal)
                #expect(listed.first?.issuingPrincipal == TestPKI.appID)
                #expect(listed.first?.constraints.encryptionContextSubset == ["tenant": "acme"])
            }
        }
    }

    @Test(arguments: [
        [String](),
        ["PutKeyPolicy"],
        ["kms:Decrypt"],
    ])
    func createGrantRefusesInvalidOperations(_ operations: [String]) async throws {
        try await withWorld { world in
            let key = try await Self.makeKey(world)
            try await world.server.withClient(world.app) { client in
                #expect(await failure {
                    try await client.createGrant(.with {
                        $0.keyID = key.keyID
                        $0.granteePrincipal = Self.legacyPrincipal
                        $0.operations = operations
                    })
                } == Self.invalid)
            }
        }
    }

    @Test func constraintsNeedCryptographicOperations() async throws {
        try await withWorld { world in
            let key = try await Self.makeKey(world)
            try await world.server.withClient(world.app) { client in
                #expect(await failure {
                    try await client.createGrant(.with {
                        $0.keyID = key.keyID
                        $0.granteePrincipal = Self.legacyPrincipal
                        $0.operations = ["Decrypt", "GetPublicKey"]
                        $0.constraints.encryptionContextEquals = ["tenant": "acme"]
                    })
                } == Self.invalid)
            }
        }
    }

    @Test func retiredGrantStopsWorkingAtOnce() async throws {
        try await withWorld { world in
            let key = try await Self.makeKey(world)
            let created = try await Self.grantAcmeDecrypt(world, on: key)
            try await world.server.withClient(world.legacy) { client in
                let opened = try await Self.decrypt(client, key.acme, tenant: "acme")
                #expect(opened == Data("acme secret".utf8))
                _ = try await client.retireGrant(.with { $0.keyID = key.keyID; $0.grantID = created.grantID })
                #expect(await failure { try await Self.decrypt(client, key.acme, tenant: "acme") } == Self.denied)
                #expect(await failure { try await client.retireGrant(.with { $0.keyID = key.keyID; $0.grantID = created.grantID }) }
                    == Self.grantNotFound)
            }
            try await world.server.withClient(world.app) { client in
                let remaining = try await client.listGrants(.with { $0.keyID = key.keyID }).grants
                #expect(remaining.isEmpty)
            }
        }
    }

    @Test func retireByRetiringPrincipalAndByToken() async throws {
        try await withWorld { world in
            let key = try await Self.makeKey(world)
            let ops = try world.pki.client("ops", spiffeIDs: [Self.opsID])
            let retirable = try await Self.grantAcmeDecrypt(world, on: key, retiring: Self.opsID, name: "retirable")
            let other = try await Self.grantAcmeDecrypt(world, on: key, name: "by-token")
            try await world.server.withClient(world.admin) { client in
                let listed = try await client.listRetirableGrants(.with { $0.retiringPrincipal = Self.opsID }).grants
                #expect(listed.map(\.grantID) == [retirable.grantID])
            }
            try await world.server.withClient(world.app) { client in
                // kms:ListRetirableGrants comes from the server policy only.
                #expect(await failure { try await client.listRetirableGrants(.with { $0.retiringPrincipal = Self.opsID }) } == Self.denied)
            }
            try await world.server.withClient(ops) { client in
                // Neither grantee nor retiring principal of the other grant.
                #expect(await failure { try await client.retireGrant(.with { $0.keyID = key.keyID; $0.grantID = other.grantID }) } == Self.denied)
                _ = try await client.retireGrant(.with { $0.keyID = key.keyID; $0.grantID = retirable.grantID })
            }
            try await world.server.withClient(world.legacy) { client in
                let opened = try await Self.decrypt(client, key.acme, tenant: "acme")
                #expect(opened == Data("acme secret".utf8))
                _ = try await client.retireGrant(.with { $0.grantToken = other.grantToken })
                #expect(await failure { try await Self.decrypt(client, key.acme, tenant: "acme") } == Self.denied)
                #expect(await failure { try await client.retireGrant(.with { $0.grantToken = other.grantToken }) } == Self.grantNotFound)
            }
        }
    }

    @Test func revokeNeedsKeyAdministrator() async throws {
        try await withWorld { world in
            let key = try await Self.makeKey(world)
            let created = try await Self.grantAcmeDecrypt(world, on: key)
            try await world.server.withClient(world.legacy) { client in
                #expect(await failure { try await client.revokeGrant(.with { $0.keyID = key.keyID; $0.grantID = created.grantID }) } == Self.denied)
            }
            try await world.server.withClient(world.admin) { client in
                _ = try await client.revokeGrant(.with { $0.keyID = key.keyID; $0.grantID = created.grantID })
                #expect(await failure { try await client.revokeGrant(.with { $0.keyID = key.keyID; $0.grantID = created.grantID }) } == Self.grantNotFound)
            }
            try await world.server.withClient(world.legacy) { client in
                #expect(await failure { try await Self.decrypt(client, key.acme, tenant: "acme") } == Self.denied)
            }
        }
    }

    @Test func sameNameAndParametersReturnTheSameGrant() async throws {
        try await withWorld { world in
            let key = try await Self.makeKey(world)
            let first = try await Self.grantAcmeDecrypt(world, on: key, name: "nightly-batch")
            let second = try await Self.grantAcmeDecrypt(world, on: key, name: "nightly-batch")
            #expect(second.grantID == first.grantID)
            #expect(second.grantToken == first.grantToken)
            try await world.server.withClient(world.app) { client in
                let listed = try await client.listGrants(.with { $0.keyID = key.keyID }).grants
                #expect(listed.map(\.grantID) == [first.grantID])
                #expect(listed.first?.name == "nightly-batch")
            }
        }
    }

    @Test func grantNeverOverridesDenyAndExplainNamesTheDeny() async throws {
        let policy = """
        {"Version": "2012-10-17", "Statement": [
          {"Sid": "Owner", "Effect": "Allow", "Principal": "\(TestPKI.appID)", "Action": "kms:*", "Resource": "*"},
          {"Sid": "NoLegacyDecrypt", "Effect": "Deny", "Principal": "CN=legacy-app,*", "Action": "kms:Decrypt", "Resource": "*"}
        ]}
        """
        try await withWorld { world in
            let key = try await Self.makeKey(world, policy: policy)
            let created = try await Self.grantAcmeDecrypt(world, on: key)
            try await world.server.withClient(world.legacy) { client in
                #expect(await failure { try await Self.decrypt(client, key.acme, tenant: "acme") } == Self.denied)
            }
            try await world.server.withClient(world.admin) { client in
                let explanation = try await client.explainAccess(.with {
                    $0.principal = Self.legacyPrincipal
                    $0.action = "kms:Decrypt"
                    $0.keyID = key.keyID
                    $0.encryptionContext = ["tenant": "acme"]
                })
                #expect(explanation.decision == .explicitDeny)
                #expect(explanation.summary.contains("NoLegacyDecrypt"))
                let deny = explanation.statements.first { $0.sid == "NoLegacyDecrypt" }
                #expect(deny?.applies == true)
                #expect(deny?.policy == "key")
                #expect(deny?.index == 1)
                #expect(explanation.grants.map(\.grantID) == [created.grantID])
                #expect(explanation.grants.first?.applies == true)
            }
        }
    }

    @Test func explainSaysNothingAllowsAnImplicitDenyAndWhyAGrantDoesNotApply() async throws {
        try await withWorld { world in
            let key = try await Self.makeKey(world)
            let created = try await Self.grantAcmeDecrypt(world, on: key)
            try await world.server.withClient(world.admin) { client in
                let denied = try await client.explainAccess(.with {
                    $0.principal = Self.legacyPrincipal
                    $0.action = "kms:Decrypt"
                    $0.keyID = key.keyID
                    $0.encryptionContext = ["tenant": "globex"]
                })
                #expect(denied.decision == .implicitDeny)
                #expect(denied.summary.contains("no statement"))
                #expect(denied.statements.allSatisfy { !$0.applies })
                #expect(denied.grants.first?.applies == false)
                #expect(denied.grants.first?.reason.contains("tenant") == true)

                let allowed = try await client.explainAccess(.with {
                    $0.principal = Self.legacyPrincipal
                    $0.action = "kms:Decrypt"
                    $0.keyID = key.keyID
                    $0.encryptionContext = ["tenant": "acme"]
                })
                #expect(allowed.decision == .allow)
                #expect(allowed.summary.contains(created.grantID))

                #expect(await failure { try await client.explainAccess(.with { $0.principal = Self.legacyPrincipal; $0.action = "kms:Fly"; $0.keyID = key.keyID }) }
                    == Self.invalid)
            }
            try await world.server.withClient(world.app) { client in
                // kms:ExplainAccess comes from the server policy only.
                #expect(await failure {
                    try await client.explainAccess(.with { $0.principal = TestPKI.appID; $0.action = "kms:Decrypt"; $0.keyID = key.keyID })
                } == Self.denied)
            }
        }
    }

    @Test func putKeyPolicyRefusesALockoutUnlessBypassed() async throws {
        let lockout = """
        {"Version": "2012-10-17", "Statement": [
          {"Sid": "LegacyOnly", "Effect": "Allow", "Principal": "\(Self.legacyPrincipal)", "Action": "kms:*", "Resource": "*"}
        ]}
        """
        try await withWorld { world in
            let key = try await Self.makeKey(world)
            try await world.server.withClient(world.app) { client in
                #expect(await failure { try await client.putKeyPolicy(.with { $0.keyID = key.keyID; $0.policy = lockout }) }
                    == RPCFailure(code: .invalidArgument, reason: "MALFORMED_POLICY"))
                // Still the app's key.
                _ = try await client.getKeyPolicy(.with { $0.keyID = key.keyID })
                _ = try await client.putKeyPolicy(.with { $0.keyID = key.keyID; $0.policy = lockout; $0.bypassPolicyLockoutSafetyCheck = true })
                #expect(await failure { try await client.getKeyPolicy(.with { $0.keyID = key.keyID }) } == Self.denied)
            }
            try await world.server.withClient(world.legacy) { client in
                let stored = try await client.getKeyPolicy(.with { $0.keyID = key.keyID }).policy
                #expect(stored == lockout)
            }
        }
    }
}
