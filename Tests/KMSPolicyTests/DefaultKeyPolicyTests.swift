import KMSCore
import KMSPolicy
import Testing

@Suite struct DefaultKeyPolicyTests {
    @Test func creatorGetsEveryKeyActionUnderTheDocumentedSid() throws {
        let policy = try CompiledPolicy.compile(DefaultKeyPolicy.json(creator: Principal(Fixture.paymentsAPI)))
        for action in KMSAction.allCases where action.isKeyAction {
            let request = try RequestSpec(action: action).build()
            #expect(PolicyEngine.decide(request, keyPolicy: policy, serverPolicy: nil)
                == .allowed(by: StatementReference(policy: .key, index: 0, sid: DefaultKeyPolicy.creatorStatementSid)))
        }
        #expect(DefaultKeyPolicy.creatorStatementSid == "DefaultCreatorAccess")
    }

    @Test func documentIsReadableJSONWithVersion() {
        let json = DefaultKeyPolicy.json(creator: Principal("CN=legacy \"app\",O=Example"))
        #expect(json.contains(#""Version": "2012-10-17""#))
        #expect(json.contains(#""Principal": "CN=legacy \"app\",O=Example""#))
        #expect(json.contains(#""Sid": "DefaultCreatorAccess""#))
    }

    @Test func creatorWithQuotesAndWildcardsStillMatchesExactly() throws {
        let creator = "CN=we*rd \"na?me\" $x,O=Example"
        let policy = try CompiledPolicy.compile(DefaultKeyPolicy.json(creator: Principal(creator)))
        let creatorRequest = try RequestSpec(principal: creator).build()
        #expect(PolicyEngine.decide(creatorRequest, keyPolicy: policy, serverPolicy: nil).isAllowed)
        let lookalike = try RequestSpec(principal: "CN=weird \"na-me\" $x,O=Example").build()
        #expect(PolicyEngine.decide(lookalike, keyPolicy: policy, serverPolicy: nil) == .implicitDeny)
    }
}
