import KMSCore
import KMSService
import Testing

/// PutKeyPolicy refuses a policy that would lock the caller out, unless told to bypass.
@Suite struct PolicyLockoutTests {
    let admin = ServiceFixture.admin
    let alice = ServiceFixture.alice

    static let adminOnly = ServiceFixture.adminOnlyPolicy

    @Test func aPolicyThatLocksTheCallerOutIsRefusedAndNotStored() async throws {
        try await withService { fixture in
            let keyID = try await fixture.createKey(by: alice).description
            let before = try await fixture.service.getKeyPolicy(keyID: keyID, context: alice)
            let error = try await #require(throws: KMSError.self) {
                try await fixture.service.putKeyPolicy(keyID: keyID, policy: Self.adminOnly, context: alice)
            }
            #expect(error.code == .malformedPolicy)
            #expect(error.message.contains(alice.principal.name))
            #expect(error.message.contains(keyID))
            #expect(error.message.contains("bypass_policy_lockout_safety_check"))
            #expect(try await fixture.service.getKeyPolicy(keyID: keyID, context: alice) == before)
        }
    }

    @Test func aDenyOfPutKeyPolicyForTheCallerIsALockout() async throws {
        try await withService { fixture in
            let keyID = try await fixture.createKey(by: alice).description
            let policy = """
            {"Statement": [
              {"Effect": "Allow", "Principal": "spiffe://test.example/ns/app/alice", "Action": "kms:*", "Resource": "*"},
              {"Effect": "Deny", "Principal": "*", "Action": "kms:PutKeyPolicy", "Resource": "*"}
            ]}
            """
            #expect(await errorCode { try await fixture.service.putKeyPolicy(keyID: keyID, policy: policy, context: alice) } == .malformedPolicy)
        }
    }

    @Test func bypassingTheCheckStoresThePolicy() async throws {
        try await withService { fixture in
            let keyID = try await fixture.createKey(by: alice).description
            try await fixture.service.putKeyPolicy(keyID: keyID, policy: Self.adminOnly, bypassPolicyLockoutSafetyCheck: true, context: alice)
            #expect(try await fixture.service.getKeyPolicy(keyID: keyID, context: admin) == Self.adminOnly)
            #expect(await errorCode { try await fixture.service.putKeyPolicy(keyID: keyID, policy: Self.adminOnly, context: alice) } == .accessDenied)
        }
    }

    @Test func aPolicyThatKeepsTheCallersPutKeyPolicyIsStored() async throws {
        try await withService { fixture in
            let keyID = try await fixture.createKey(by: alice).description
            let policy = """
            {"Statement": [{"Effect": "Allow", "Principal": "spiffe://test.example/ns/app/alice",
              "Action": ["kms:PutKeyPolicy", "kms:GetKeyPolicy"], "Resource": "*"}]}
            """
            try await fixture.service.putKeyPolicy(keyID: keyID, policy: policy, context: alice)
            #expect(try await fixture.service.getKeyPolicy(keyID: keyID, context: alice) == policy)
        }
    }
}
