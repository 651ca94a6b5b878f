import KMSCore
import KMSPolicy
import Testing

/// Grants compare the grantee with the caller byte for byte: a name that is only
/// canonically equivalent (the same text in another Unicode normalization form) is
/// another principal.
@Suite struct GrantPrincipalNormalizationTests {
    /// A subject DN with a precomposed `é` (NFC) and with `e` plus a combining accent (NFD).
    static let composed = "CN=caf\u{E9},O=Example"
    static let decomposed = "CN=cafe\u{301},O=Example"

    private func decide(grantee: String, caller: String) throws -> (AccessDecision, AccessExplanation) {
        var grant = GrantSpec()
        grant.grantee = grantee
        var request = RequestSpec()
        request.principal = caller
        let grants = [grant.build()]
        let built = try request.build()
        return (
            PolicyEngine.decide(built, keyPolicy: nil, serverPolicy: nil, grants: grants),
            PolicyEngine.explain(built, keyPolicy: nil, serverPolicy: nil, grants: grants)
        )
    }

    @Test func grantForTheComposedNameAllowsThatName() throws {
        let (decision, explanation) = try decide(grantee: Self.composed, caller: Self.composed)
        #expect(decision == .allowedByGrant(grantID: "g1"))
        #expect(explanation.grants.map(\.applies) == [true])
    }

    @Test func grantForTheComposedNameDoesNotAllowTheDecomposedName() throws {
        #expect(Self.composed == Self.decomposed, "Swift String equality would have matched them")
        let (decision, explanation) = try decide(grantee: Self.composed, caller: Self.decomposed)
        #expect(decision == .implicitDeny)
        #expect(explanation.decision == .implicitDeny)
        #expect(explanation.grants.map(\.mismatch) == [.otherGrantee(Principal(Self.composed))])
    }

    @Test func grantForTheDecomposedNameDoesNotAllowTheComposedName() throws {
        let (decision, _) = try decide(grantee: Self.decomposed, caller: Self.composed)
        #expect(decision == .implicitDeny)
    }
}
