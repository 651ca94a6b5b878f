import KMSCore
import KMSPolicy
import KMSService
import Testing

/// What a grant lets its grantee do, and what it never does.
@Suite struct GrantUseTests {
    let admin = ServiceFixture.admin
    let alice = ServiceFixture.alice

    @Test func aGrantLetsOnlyTheGranteeDoOnlyItsOperations() async throws {
        try await withService { fixture in
            let keyID = try await fixture.adminOnlyKey()
            #expect(try await fixture.decryptCode(on: keyID, as: alice) == .accessDenied)
            let grant = try await fixture.grant(["Decrypt"], on: keyID)
            #expect(grant.grantID.count == 64)
            #expect(!grant.grantToken.isEmpty)

            #expect(try await fixture.decryptCode(on: keyID, as: alice) == nil)
            #expect(await fixture.encryptCode(on: keyID, as: alice) == .accessDenied)
            #expect(await errorCode { try await fixture.service.describeKey(keyID: keyID, context: alice) } == .accessDenied)
            for other in [ServiceFixture.bob, ServiceFixture.mallory] {
                #expect(try await fixture.decryptCode(on: keyID, as: other) == .accessDenied)
            }
        }
    }

    @Test func aGrantOnOneKeyAllowsNothingOnAnother() async throws {
        try await withService { fixture in
            let granted = try await fixture.adminOnlyKey()
            let other = try await fixture.adminOnlyKey()
            _ = try await fixture.grant(["Encrypt"], on: granted)
            #expect(await fixture.encryptCode(on: granted, as: alice) == nil)
            #expect(await fixture.encryptCode(on: other, as: alice) == .accessDenied)
        }
    }

    /// (constraints, request context, allowed)
    static let constraintCases: [(GrantConstraints, [String: String], Bool)] = [
        (GrantConstraints(encryptionContextSubset: ["tenant": "acme"]), ["tenant": "acme"], true),
        (GrantConstraints(encryptionContextSubset: ["tenant": "acme"]), ["tenant": "acme", "order": "7"], true),
        (GrantConstraints(encryptionContextSubset: ["tenant": "acme"]), ["tenant": "globex"], false),
        (GrantConstraints(encryptionContextSubset: ["tenant": "acme"]), [:], false),
        (GrantConstraints(encryptionContextEquals: ["tenant": "acme"]), ["tenant": "acme"], true),
        (GrantConstraints(encryptionContextEquals: ["tenant": "acme"]), ["tenant": "acme", "order": "7"], false),
        (GrantConstraints(encryptionContextEquals: ["tenant": "acme"]), ["tenant": "globex"], false),
    ]

    @Test(arguments: constraintCases)
    func aGrantAllowsOnlyWithinItsConstraints(constraints: GrantConstraints, context: [String: String], allowed: Bool) async throws {
        try await withService { fixture in
            let keyID = try await fixture.adminOnlyKey()
            _ = try await fixture.grant(["Encrypt", "Decrypt"], on: keyID, constraints: constraints)
            let expected: KMSError.Code? = allowed ? nil : .accessDenied
            #expect(await fixture.encryptCode(on: keyID, as: alice, context: context) == expected)
            #expect(try await fixture.decryptCode(on: keyID, as: alice, context: context) == expected)
        }
    }

    @Test func aDenyStatementBeatsAGrant() async throws {
        try await withService { fixture in
            let policy = """
            {"Statement": [
              {"Sid": "Admin", "Effect": "Allow", "Principal": "spiffe://test.example/admin", "Action": "kms:*", "Resource": "*"},
              {"Sid": "NoAliceDecrypt", "Effect": "Deny", "Principal": "spiffe://test.example/ns/app/alice", "Action": "kms:Decrypt", "Resource": "*"}
            ]}
            """
            let keyID = try await fixture.createKey(policy: policy).description
            _ = try await fixture.grant(["Encrypt", "Decrypt"], on: keyID)
            #expect(await fixture.encryptCode(on: keyID, as: alice) == nil)
            #expect(try await fixture.decryptCode(on: keyID, as: alice) == .accessDenied)
        }
    }

    @Test func aRetiredOrRevokedGrantStopsWorkingAtOnce() async throws {
        try await withService { fixture in
            let keyID = try await fixture.adminOnlyKey()
            let retired = try await fixture.grant(["Encrypt"], on: keyID)
            #expect(await fixture.encryptCode(on: keyID, as: alice) == nil)
            #expect(await fixture.encryptCode(on: keyID, as: alice) == nil)
            try await fixture.service.retireGrant(keyID: keyID, grantID: retired.grantID, grantToken: "", context: alice)
            #expect(await fixture.encryptCode(on: keyID, as: alice) == .accessDenied)

            let revoked = try await fixture.grant(["Encrypt"], on: keyID)
            #expect(await fixture.encryptCode(on: keyID, as: alice) == nil)
            try await fixture.service.revokeGrant(keyID: keyID, grantID: revoked.grantID, context: admin)
            #expect(await fixture.encryptCode(on: keyID, as: alice) == .accessDenied)
        }
    }

    @Test func aGrantOutlivesARestart() async throws {
        var keyID = ""
        try await withRestartedService { fixture in
            keyID = try await fixture.adminOnlyKey()
            _ = try await fixture.grant(["Encrypt"], on: keyID)
        } then: { fixture in
            #expect(await fixture.encryptCode(on: keyID, as: alice) == nil)
            #expect(await fixture.encryptCode(on: keyID, as: ServiceFixture.bob) == .accessDenied)
        }
    }

    @Test func theSameNameAndParametersGiveTheSameGrant() async throws {
        try await withService { fixture in
            let keyID = try await fixture.adminOnlyKey()
            let first = try await fixture.grant(["Decrypt", "Encrypt"], on: keyID, name: "app:orders/v1")
            let again = try await fixture.grant(["Encrypt", "Decrypt"], on: keyID, name: "app:orders/v1")
            #expect(again.grantID == first.grantID)
            #expect(again.grantToken == first.grantToken)
            #expect(try await fixture.grantIDs(of: keyID) == [first.grantID])

            let differentOperations = try await fixture.grant(["Decrypt"], on: keyID, name: "app:orders/v1")
            let unnamed = try await fixture.grant(["Decrypt", "Encrypt"], on: keyID)
            let unnamedAgain = try await fixture.grant(["Decrypt", "Encrypt"], on: keyID)
            let all = Set([first.grantID, differentOperations.grantID, unnamed.grantID, unnamedAgain.grantID])
            #expect(all.count == 4)
            #expect(try await Set(fixture.grantIDs(of: keyID)) == all)
        }
    }

    @Test func createGrantRecordsWhatWasAsked() async throws {
        try await withService { fixture in
            let keyID = try await fixture.adminOnlyKey()
            let constraints = GrantConstraints(encryptionContextSubset: ["tenant": "acme"])
            let created = try await fixture.grant(
                ["GenerateDataKey", "Decrypt"], on: keyID, retiring: ServiceFixture.bob, constraints: constraints, name: "orders"
            )
            let page = try await fixture.service.listGrants(
                keyID: keyID, grantID: created.grantID, granteePrincipal: "", pageSize: 0, pageToken: "", context: admin
            )
            let grant = try #require(page.grants.first)
            #expect(page.grants.count == 1)
            #expect(grant.keyID.description == keyID)
            #expect(grant.name == "orders")
            #expect(grant.granteePrincipal == alice.principal)
            #expect(grant.retiringPrincipal == ServiceFixture.bob.principal)
            #expect(grant.issuingPrincipal == admin.principal)
            #expect(grant.operations == [.decrypt, .generateDataKey])
            #expect(grant.constraints == constraints)
        }
    }
}
