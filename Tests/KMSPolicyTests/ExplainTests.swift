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

    @Test func statementReferenceDescribesItself() {
        #expect(StatementReference(policy: .server, index: 2, sid: "DenyOutsideVPN").description
            == #"server policy Statement[2] (Sid "DenyOutsideVPN")"#)
        #expect(StatementReference(policy: .key, index: 0, sid: nil).description == "key policy Statement[0]")
    }
}
