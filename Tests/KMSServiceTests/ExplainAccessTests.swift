import KMSCore
import KMSPolicy
import KMSService
import Testing

/// ExplainAccess: the decision a request would get and why, including grants.
@Suite struct ExplainAccessTests {
    let admin = ServiceFixture.admin
    let alice = ServiceFixture.alice

    static let denyPolicy = """
    {"Statement": [
      {"Sid": "Admin", "Effect": "Allow", "Principal": "spiffe://test.example/admin", "Action": "kms:*", "Resource": "*"},
      {"Sid": "NoAliceDecrypt", "Effect": "Deny", "Principal": "spiffe://test.example/ns/app/alice", "Action": "kms:Decrypt", "Resource": "*"}
    ]}
    """

    func explain(
        _ fixture: ServiceFixture, _ principal: RequestContext, _ action: String, keyID: String, context: [String: String] = [:]
    ) async throws -> AccessExplanation {
        let request = ExplainAccessRequest(principal: principal.principal.name, action: action, keyID: keyID, encryptionContext: context)
        return try await fixture.service.explainAccess(request, context: admin)
    }

    @Test func anExplicitDenyNamesTheDenyingStatementEvenWithAGrant() async throws {
        try await withService { fixture in
            let keyID = try await fixture.createKey(policy: Self.denyPolicy).description
            let grant = try await fixture.grant(["Decrypt"], on: keyID)
            let explanation = try await explain(fixture, alice, "kms:Decrypt", keyID: keyID)
            #expect(explanation.decision == .explicitDeny(by: StatementReference(policy: .key, index: 1, sid: "NoAliceDecrypt")))
            #expect(explanation.statements.contains { $0.reference.sid == "NoAliceDecrypt" && $0.applies })
            #expect(explanation.grants.map(\.grantID) == [grant.grantID])
            #expect(explanation.grants.first?.applies == true)
        }
    }

    @Test func anImplicitDenyShowsThatNothingApplied() async throws {
        try await withService { fixture in
            let keyID = try await fixture.adminOnlyKey()
            _ = try await fixture.grant(["Decrypt"], on: keyID)
            let explanation = try await explain(fixture, ServiceFixture.mallory, "kms:Decrypt", keyID: keyID)
            #expect(explanation.decision == .implicitDeny)
            #expect(!explanation.statements.isEmpty)
            #expect(explanation.statements.allSatisfy { !$0.applies })
            #expect(explanation.grants.first?.mismatch == .otherGrantee(alice.principal))
        }
    }

    @Test func aGrantAllowedRequestNamesTheGrantAndConstraintsAreExplained() async throws {
        try await withService { fixture in
            let keyID = try await fixture.adminOnlyKey()
            let grant = try await fixture.grant(["Decrypt"], on: keyID, constraints: GrantConstraints(encryptionContextSubset: ["tenant": "acme"]))

            let allowed = try await explain(fixture, alice, "kms:Decrypt", keyID: keyID, context: ["tenant": "acme"])
            #expect(allowed.decision == .allowedByGrant(grantID: grant.grantID))
            #expect(allowed.decision.isAllowed)
            #expect(try await fixture.decryptCode(on: keyID, as: alice, context: ["tenant": "acme"]) == nil)

            let outside = try await explain(fixture, alice, "kms:Decrypt", keyID: keyID, context: ["tenant": "globex"])
            #expect(outside.decision == .implicitDeny)
            let violation = ConstraintViolation(constraint: .subset, key: "tenant", required: "acme", actual: "globex")
            #expect(outside.grants.first?.mismatch == .contextOutsideConstraints(violation))
            #expect(try await fixture.decryptCode(on: keyID, as: alice, context: ["tenant": "globex"]) == .accessDenied)

            let otherOperation = try await explain(fixture, alice, "kms:Encrypt", keyID: keyID, context: ["tenant": "acme"])
            #expect(otherOperation.decision == .implicitDeny)
            #expect(otherOperation.grants.first?.mismatch == .operationNotGranted)
        }
    }

    @Test func aRetiredGrantNoLongerAppearsOrApplies() async throws {
        try await withService { fixture in
            let keyID = try await fixture.adminOnlyKey()
            let grant = try await fixture.grant(["Decrypt"], on: keyID)
            #expect(try await explain(fixture, alice, "kms:Decrypt", keyID: keyID).decision == .allowedByGrant(grantID: grant.grantID))
            try await fixture.service.retireGrant(keyID: "", grantID: "", grantToken: grant.grantToken, context: alice)
            let after = try await explain(fixture, alice, "kms:Decrypt", keyID: keyID)
            #expect(after.decision == .implicitDeny)
            #expect(after.grants.isEmpty)
        }
    }

    @Test func serverActionsAreExplainedFromTheServerPolicy() async throws {
        try await withService { fixture in
            let allowed = try await explain(fixture, admin, "kms:CreateKey", keyID: "")
            #expect(allowed.decision == .allowed(by: StatementReference(policy: .server, index: 0, sid: "Admin")))
            #expect(try await explain(fixture, ServiceFixture.mallory, "kms:ListKeys", keyID: "").decision == .implicitDeny)
        }
    }

    @Test func badRequestsAndCallersWithoutExplainAccessAreRefused() async throws {
        try await withService { fixture in
            let keyID = try await fixture.adminOnlyKey()
            let request = ExplainAccessRequest(principal: alice.principal.name, action: "kms:Decrypt", keyID: keyID)
            #expect(await errorCode { try await fixture.service.explainAccess(request, context: alice) } == .accessDenied)
            let cases: [(ExplainAccessRequest, KMSError.Code)] = [
                (ExplainAccessRequest(principal: "", action: "kms:Decrypt", keyID: keyID), .validation),
                (ExplainAccessRequest(principal: "p", action: "kms:Fly", keyID: keyID), .validation),
                (ExplainAccessRequest(principal: "p", action: "Decrypt", keyID: keyID), .validation),
                (ExplainAccessRequest(principal: "p", action: "kms:Decrypt"), .validation),
                (ExplainAccessRequest(principal: "p", action: "kms:ListKeys", keyID: keyID), .validation),
                (ExplainAccessRequest(principal: "p", action: "kms:Decrypt", keyID: keyID, encryptionContext: ["": "v"]), .validation),
                (ExplainAccessRequest(principal: "p", action: "kms:Decrypt", keyID: KeyID.random().description), .keyNotFound),
            ]
            for (request, expected) in cases {
                #expect(await errorCode { try await fixture.service.explainAccess(request, context: admin) } == expected, "\(request.action)")
            }
        }
    }
}
