import KMSCore
import KMSPolicy
import Testing

/// "Decrypt is allowed only when kms:EncryptionContext:tenant = acme", end to end.
@Suite struct TenantScenarioTests {
    static let keyPolicy = """
        {
          "Version": "2012-10-17",
          "Statement": [
            {
              "Sid": "AdminsManageTheKey",
              "Effect": "Allow",
              "Principal": "spiffe://prod.example/ns/security/sa/kms-admin",
              "Action": ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy"],
              "Resource": "*"
            },
            {
              "Sid": "AcmeDecrypts",
              "Effect": "Allow",
              "Principal": "spiffe://prod.example/ns/payments/*",
              "Action": "kms:Decrypt",
              "Resource": "*",
              "Condition": {"StringEquals": {"kms:EncryptionContext:tenant": "acme"}}
            }
          ]
        }
        """

    private func decide(_ context: [String: String], action: KMSAction = .decrypt,
                        principal: String = Fixture.paymentsAPI) throws -> AccessDecision {
        let policy = try CompiledPolicy.compile(Self.keyPolicy)
        let request = try RequestSpec(principal: principal, action: action, context: context).build()
        return PolicyEngine.decide(request, keyPolicy: policy, serverPolicy: nil)
    }

    @Test func decryptWithTenantAcmeIsAllowed() throws {
        #expect(try decide(["tenant": "acme", "order": "42"])
            == .allowed(by: StatementReference(policy: .key, index: 1, sid: "AcmeDecrypts")))
    }

    @Test(arguments: [
        ["tenant": "globex"],
        ["tenant": "ACME"],
        ["tenant": "acme "],
        ["Tenant": "acme"],
        [:],
    ])
    func decryptWithoutTenantAcmeIsDenied(_ context: [String: String]) throws {
        #expect(try decide(context) == .implicitDeny)
    }

    @Test func otherActionsAreNotAllowedEvenForAcme() throws {
        #expect(try decide(["tenant": "acme"], action: .encrypt) == .implicitDeny)
        #expect(try decide(["tenant": "acme"], action: .generateDataKey) == .implicitDeny)
    }

    @Test func callersOutsideThePaymentsNamespaceAreDenied() throws {
        #expect(try decide(["tenant": "acme"], principal: "spiffe://prod.example/ns/billing/sa/api") == .implicitDeny)
    }
}
