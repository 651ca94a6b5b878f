import Foundation
import KMSCore
import KMSPolicy
import Testing

/// Reading documents: JSON escapes, the source text, and object graphs from YAML config.
@Suite struct DocumentInputTests {
    @Test func jsonEscapesAreDecodedBeforeMatching() throws {
        let policy = try CompiledPolicy.compile(
            #"{"Statement":{"Effect":"Allow","Principal":"CN=Z\u00fcrich \ud83d\udd11\/\"ops\"","Action":"kms:*","Resource":"*"}}"#)
        let request = try RequestSpec(principal: "CN=Zürich 🔑/\"ops\"").build()
        #expect(PolicyEngine.decide(request, keyPolicy: policy, serverPolicy: nil).isAllowed)
    }

    @Test func sourceIsTheDocumentAsGiven() throws {
        let json = PolicyJSON.document(PolicyJSON.allow())
        #expect(try CompiledPolicy.compile(json).source == json)
    }

    @Test func objectGraphCompilesLikeJSON() throws {
        let object: [String: Any] = [
            "Version": "2012-10-17",
            "Statement": [[
                "Sid": "Payments",
                "Effect": "Allow",
                "Principal": ["spiffe://prod.example/ns/payments/*"],
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": ["NumericLessThan": ["kms:EncryptionContext:version": 3], "Bool": ["kms:EncryptionContext:live": true]],
            ] as [String: Any]],
        ]
        let policy = try CompiledPolicy.compile(jsonObject: object)
        let allowed = try RequestSpec(context: ["version": "2", "live": "true"]).build()
        let tooNew = try RequestSpec(context: ["version": "3", "live": "true"]).build()
        #expect(PolicyEngine.decide(allowed, keyPolicy: policy, serverPolicy: nil).isAllowed)
        #expect(PolicyEngine.decide(tooNew, keyPolicy: policy, serverPolicy: nil) == .implicitDeny)
        let reparsed = try CompiledPolicy.compile(policy.source)
        #expect(PolicyEngine.decide(allowed, keyPolicy: reparsed, serverPolicy: nil).isAllowed)
    }

    @Test func yamlDateForVersionIsNamedInTheError() {
        let object: [String: Any] = ["Version": Date(timeIntervalSince1970: 0), "Statement": [String: Any]()]
        do {
            _ = try CompiledPolicy.compile(jsonObject: object)
            Issue.record("a Date Version compiled")
        } catch {
            #expect(error.code == .malformedPolicy)
            #expect(error.message.contains("Version: must be \"2012-10-17\", found a value of type Date"))
        }
    }
}
