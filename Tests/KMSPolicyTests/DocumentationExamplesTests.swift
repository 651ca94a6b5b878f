import Foundation
import KMSCore
import KMSPolicy
import Testing

/// The JSON examples in docs/POLICY.md must compile and behave as the text says.
@Suite struct DocumentationExamplesTests {
    /// Every ```json block of docs/POLICY.md; a lone statement is wrapped in a document.
    static func examples() throws -> [String] {
        try policyText().components(separatedBy: "```json\n").dropFirst().compactMap { block in
            block.components(separatedBy: "\n```").first.map { json in
                json.contains("\"Statement\"") ? json : #"{"Statement": \#(json)}"#
            }
        }
    }

    /// The text of docs/POLICY.md.
    private static func policyText() throws -> String {
        let docs = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/POLICY.md")
        return try String(contentsOf: docs, encoding: .utf8)
    }

    private static func example(containing sid: String) throws -> CompiledPolicy {
        let json = try #require(try examples().first { $0.contains("\"Sid\": \"\(sid)\"") })
        return try CompiledPolicy.compile(json)
    }

    @Test func everyExampleCompiles() throws {
        let examples = try Self.examples()
        #expect(examples.count >= 6)
        for json in examples {
            #expect(throws: Never.self) { try CompiledPolicy.compile(json) }
        }
    }

    @Test func serverPolicyExampleDeniesCallersOutsideTheClusterNetwork() throws {
        let server = try Self.example(containing: "DenyOutsideClusterNetwork")
        let key = try CompiledPolicy.compile(DefaultKeyPolicy.json(creator: Principal(Fixture.paymentsAPI)))
        let inside = try RequestSpec(sourceIP: "10.2.3.4").build()
        let outside = try RequestSpec(sourceIP: "203.0.113.5").build()
        #expect(PolicyEngine.decide(inside, keyPolicy: key, serverPolicy: server).isAllowed)
        #expect(PolicyEngine.decide(outside, keyPolicy: key, serverPolicy: server)
            == .explicitDeny(by: StatementReference(policy: .server, index: 4, sid: "DenyOutsideClusterNetwork")))
        let listKeys = try RequestSpec(action: .listKeys, keyID: nil, sourceIP: "fd00::17").build()
        #expect(PolicyEngine.decide(listKeys, keyPolicy: nil, serverPolicy: server).isAllowed)
    }

    @Test func keyPolicyExampleLimitsContextKeysAndDevTenants() throws {
        let key = try Self.example(containing: "PaymentsEncrypt")
        let worker = "spiffe://prod.example/ns/payments/sa/worker"
        let ok = try RequestSpec(principal: worker, action: .encrypt, context: ["tenant": "acme", "order-id": "7"]).build()
        let extraKey = try RequestSpec(principal: worker, action: .encrypt, context: ["tenant": "acme", "debug": "1"]).build()
        let dev = try RequestSpec(principal: worker, action: .encrypt, context: ["tenant": "dev-1"]).build()
        let decrypt = try RequestSpec(principal: worker, action: .decrypt, context: ["tenant": "acme", "purpose": "settlement"]).build()
        #expect(PolicyEngine.decide(ok, keyPolicy: key, serverPolicy: nil).isAllowed)
        #expect(PolicyEngine.decide(extraKey, keyPolicy: key, serverPolicy: nil) == .implicitDeny)
        #expect(PolicyEngine.decide(dev, keyPolicy: key, serverPolicy: nil)
            == .explicitDeny(by: StatementReference(policy: .key, index: 3, sid: "NoDevTenants")))
        #expect(PolicyEngine.decide(decrypt, keyPolicy: key, serverPolicy: nil) == .implicitDeny)
    }

    @Test func actionTableListsEveryActionWithWhetherItIsAboutOneKey() throws {
        let text = try Self.policyText()
        let table = try #require(text.range(of: "| Action | About one key | Notes |\n"))
        let rows = text[table.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
            .prefix { $0.hasPrefix("|") }.filter { $0.hasPrefix("| `kms:") }
        var aboutOneKey: [String: Bool] = [:]
        for row in rows {
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2 else { continue }
            aboutOneKey[cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = cells[1] == "yes"
        }
        for action in KMSAction.allCases {
            #expect(aboutOneKey[action.rawValue] == action.isKeyAction, "\(action.rawValue)")
        }
        #expect(aboutOneKey.count == KMSAction.allCases.count)
    }

    @Test func grantExampleLimitsOperationsAndGrantees() throws {
        let policy = try Self.example(containing: "AdminGrantsDecryptToPayments")
        let admin = "spiffe://prod.example/ns/payments/sa/key-admin"
        func decide(_ operations: [String], to grantee: String) throws -> Bool {
            let request = try RequestSpec(
                principal: admin, action: .createGrant, grantOperations: operations, granteePrincipal: grantee).build()
            return PolicyEngine.decide(request, keyPolicy: policy, serverPolicy: nil).isAllowed
        }
        #expect(try decide(["Decrypt"], to: "spiffe://prod.example/ns/payments/sa/batch"))
        #expect(try decide(["Decrypt", "DescribeKey"], to: "spiffe://prod.example/ns/payments/sa/batch"))
        #expect(try !decide(["Decrypt", "Encrypt"], to: "spiffe://prod.example/ns/payments/sa/batch"))
        #expect(try !decide(["Decrypt"], to: "spiffe://prod.example/ns/billing/sa/api"))
    }

    @Test func grantTextBehavesAsDescribed() throws {
        let batch = "spiffe://prod.example/ns/payments/sa/batch"
        let grant = GrantSpec(grantee: batch, operations: [.decrypt], subset: ["tenant": "acme"]).build()
        func decide(_ action: KMSAction, _ context: [String: String]) throws -> AccessDecision {
            let request = try RequestSpec(principal: batch, action: action, context: context).build()
            return PolicyEngine.decide(request, keyPolicy: nil, serverPolicy: nil, grants: [grant])
        }
        #expect(try decide(.decrypt, ["tenant": "acme", "order": "7"]) == .allowedByGrant(grantID: grant.grantID))
        #expect(try decide(.decrypt, ["tenant": "globex"]) == .implicitDeny)
        #expect(try decide(.decrypt, [:]) == .implicitDeny)
        #expect(try decide(.encrypt, ["tenant": "acme"]) == .implicitDeny)
    }
}
