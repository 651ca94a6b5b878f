import KMSCore
import KMSPolicy
import Testing

@Suite struct ExplainTests {
    private let keyPolicy = PolicyJSON.document(
        PolicyJSON.allow(sid: "TenantDecrypt", action: #""kms:Decrypt""#,
                         condition: #"{"StringEquals":{"kms:EncryptionContext:tenant":"acme"},"IpAddressIfExists":{"kms:SourceIp":"10.0.0.0/8"}}"#),
        PolicyJSON.allow(sid: "OthersEncrypt", principal: #""CN=other""#, action: #""kms:Encrypt""#))
    private let serverPolicy = PolicyJSON.document(
        PolicyJSON.deny(sid: "NoDevTenants", condition: #"{"StringLike":{"kms:EncryptionContext:tenant":"dev-*"}}"#))

    @Test func listsEveryStatementWithWhatMatched() throws {
        let request = try RequestSpec(context: ["tenant": "globex"]).build()
        let explanation = PolicyEngine.explain(
            request, keyPolicy: try CompiledPolicy.compile(keyPolicy), serverPolicy: try CompiledPolicy.compile(serverPolicy))
        #expect(explanation.decision == .implicitDeny)
        #expect(explanation.statements.map(\.reference) == [
            StatementReference(policy: .key, index: 0, sid: "TenantDecrypt"),
            StatementReference(policy: .key, index: 1, sid: "OthersEncrypt"),
            StatementReference(policy: .server, index: 0, sid: "NoDevTenants"),
        ])
        let tenant = try #require(explanation.statements.first)
        #expect(tenant.effect == .allow)
        #expect(tenant.principalMatched && tenant.actionMatched && tenant.resourceMatched)
        #expect(!tenant.applies)
        #expect(tenant.conditions.map(\.operatorName) == ["StringEquals", "IpAddressIfExists"])
        #expect(tenant.conditions.map(\.key) == ["kms:EncryptionContext:tenant", "kms:SourceIp"])
        #expect(tenant.conditions.map(\.held) == [false, true])
        #expect(tenant.conditions.map(\.reason) == [
            #"kms:EncryptionContext:tenant is "globex"; StringEquals ["acme"] fails"#,
            #"kms:SourceIp is absent; IpAddressIfExists ["10.0.0.0/8"] holds"#,
        ])
        let other = explanation.statements[1]
        #expect(!other.principalMatched && !other.actionMatched && other.resourceMatched)
        #expect(explanation.statements[2].conditions.map(\.held) == [false])
    }

    @Test func namesTheDenyThatDecided() throws {
        let request = try RequestSpec(context: ["tenant": "dev-7"]).build()
        let explanation = PolicyEngine.explain(
            request, keyPolicy: try CompiledPolicy.compile(keyPolicy), serverPolicy: try CompiledPolicy.compile(serverPolicy))
        #expect(explanation.decision == .explicitDeny(by: StatementReference(policy: .server, index: 0, sid: "NoDevTenants")))
        #expect(explanation.statements[2].applies)
    }

    @Test func keyPolicyIsNotConsideredForServerActions() throws {
        let request = try RequestSpec(action: .listKeys, keyID: nil).build()
        let explanation = PolicyEngine.explain(
            request, keyPolicy: try CompiledPolicy.compile(keyPolicy), serverPolicy: try CompiledPolicy.compile(serverPolicy))
        #expect(explanation.statements.map(\.reference.policy) == [.server])
    }

    @Test func listsEveryGrantOfTheKeyWithWhyItDidOrDidNotApply() throws {
        let request = try RequestSpec(context: ["tenant": "acme", "order": "7"]).build()
        let grants = [
            GrantSpec(id: "other", grantee: "CN=other"),
            GrantSpec(id: "encrypt", operations: [.encrypt, .generateDataKey]),
            GrantSpec(id: "exact", equals: ["tenant": "acme"]),
            GrantSpec(id: "purpose", subset: ["purpose": "settlement"]),
            GrantSpec(id: "globex", subset: ["tenant": "globex"]),
            GrantSpec(id: "keyB", keyID: Fixture.keyB),
            GrantSpec(id: "acme", subset: ["tenant": "acme"]),
        ].map { $0.build() }
        let explanation = PolicyEngine.explain(
            request, keyPolicy: nil, serverPolicy: try CompiledPolicy.compile(serverPolicy), grants: grants)
        #expect(explanation.decision == .allowedByGrant(grantID: "acme"))
        #expect(explanation.grants.map(\.grantID) == ["other", "encrypt", "exact", "purpose", "globex", "acme"])
        #expect(explanation.grants.map(\.name) == ["other", "encrypt", "exact", "purpose", "globex", "acme"].map { "name-\($0)" })
        #expect(explanation.grants.map(\.applies) == [false, false, false, false, false, true])
        #expect(explanation.grants.map(\.mismatch) == [
            .otherGrantee(Principal("CN=other")),
            .operationNotGranted,
            .contextOutsideConstraints(ConstraintViolation(constraint: .equals, key: "order", required: nil, actual: "7")),
            .contextOutsideConstraints(ConstraintViolation(constraint: .subset, key: "purpose", required: "settlement", actual: nil)),
            .contextOutsideConstraints(ConstraintViolation(constraint: .subset, key: "tenant", required: "globex", actual: "acme")),
            nil,
        ])
        #expect(explanation.grants.map(\.reason) == [
            #"the grantee is "CN=other", not the caller"#,
            "kms:Decrypt is not granted (the grant allows kms:Encrypt, kms:GenerateDataKey)",
            #"encryption_context_equals does not list "order"; the request has "order"="7""#,
            #"encryption_context_subset requires "purpose"="settlement"; the request lacks "purpose""#,
            #"encryption_context_subset requires "tenant"="globex"; the request has "tenant"="acme""#,
            "grants kms:Decrypt to the caller; the encryption context is within its constraints",
        ])
    }

    @Test func namesTheMissingPairOfAnEqualsConstraint() throws {
        let request = try RequestSpec(context: ["tenant": "acme"]).build()
        let grant = GrantSpec(equals: ["tenant": "acme", "order": "7"]).build()
        let explanation = PolicyEngine.explain(request, keyPolicy: nil, serverPolicy: nil, grants: [grant])
        #expect(explanation.decision == .implicitDeny)
        #expect(explanation.grants.map(\.reason)
            == [#"encryption_context_equals requires "order"="7"; the request lacks "order""#])
    }

    @Test func aGrantWithoutConstraintsSaysSo() throws {
        let explanation = PolicyEngine.explain(
            try RequestSpec().build(), keyPolicy: nil, serverPolicy: nil, grants: [GrantSpec().build()])
        #expect(explanation.decision == .allowedByGrant(grantID: "g1"))
        #expect(explanation.grants.map(\.reason) == ["grants kms:Decrypt to the caller"])
    }

    @Test func aDenyWinsOverAnApplyingGrant() throws {
        let request = try RequestSpec(context: ["tenant": "dev-7"]).build()
        let explanation = PolicyEngine.explain(
            request, keyPolicy: nil, serverPolicy: try CompiledPolicy.compile(serverPolicy), grants: [GrantSpec().build()])
        #expect(explanation.decision == .explicitDeny(by: StatementReference(policy: .server, index: 0, sid: "NoDevTenants")))
        #expect(explanation.grants.map(\.applies) == [true])
    }

    @Test(arguments: [KMSAction.listKeys, .createKey, .explainAccess])
    func grantsAreLeftOutForActionsNotAboutOneKey(_ action: KMSAction) throws {
        let request = try RequestSpec(action: action).build()
        let explanation = PolicyEngine.explain(
            request, keyPolicy: nil, serverPolicy: nil, grants: [GrantSpec(operations: [action]).build()])
        #expect(explanation.grants.isEmpty)
        #expect(explanation.decision == .implicitDeny)
    }

    @Test func statementReferenceDescribesItself() {
        #expect(StatementReference(policy: .server, index: 2, sid: "DenyOutsideVPN").description
            == #"server policy Statement[2] (Sid "DenyOutsideVPN")"#)
        #expect(StatementReference(policy: .key, index: 0, sid: nil).description == "key policy Statement[0]")
    }
}
