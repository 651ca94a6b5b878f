import Foundation
import KMSCore
import KMSPolicy
import Testing

/// The JSON examples in docs/POLICY.md must compile and behave as the text says.
@Suite struct DocumentationExamplesTests {
    /// Every ```json block of docs/POLICY.md; a lone statement is wrapped in a document.
    static func examples() throws -> [String] {
        let docs = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/POLICY.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        return text.components(separatedBy: "```json\n").dropFirst().compactMap { block in
            block.components(separatedBy: "\n```").first.map { json in
                json.contains("\"Statement\"") ? json : #"{"Statement": \#(json)}"#
            }
        }
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
            == .explicitDeny(by: StatementReference(policy: .server, index: 3, sid: "DenyOutsideClusterNetwork")))
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
}
