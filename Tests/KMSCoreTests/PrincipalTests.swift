import KMSCore
import Testing

@Suite struct PrincipalTests {
    /// `café` with a precomposed `é` (NFC) and with `e` plus a combining acute accent (NFD).
    static let composed = "caf\u{E9}"
    static let decomposed = "cafe\u{301}"

    @Test func canonicallyEquivalentNamesAreDifferentPrincipals() {
        // Swift's String equality treats the two spellings as equal; Principal must not.
        #expect(Self.composed == Self.decomposed)
        #expect(Array(Self.composed.utf8) != Array(Self.decomposed.utf8))
        #expect(Principal(Self.composed) != Principal(Self.decomposed))
        #expect(Principal(Self.composed) == Principal("caf\u{E9}"))
        #expect(Principal(Self.decomposed) == Principal("cafe\u{301}"))
    }

    @Test func canonicallyEquivalentNamesAreTwoMembersOfASet() {
        let principals: Set = [Principal(Self.composed), Principal(Self.decomposed), Principal("caf\u{E9}")]
        #expect(principals.count == 2)
        #expect(principals.contains(Principal(Self.composed)))
        #expect(principals.contains(Principal(Self.decomposed)))
        #expect(!Set([Principal(Self.composed)]).contains(Principal(Self.decomposed)))
        #expect(Principal(Self.composed).hashValue != Principal(Self.decomposed).hashValue)
    }

    @Test func equalNamesHashEqually() {
        #expect(Principal("spiffe://td/x").hashValue == Principal("spiffe://td/x").hashValue)
        #expect(Principal("").hashValue == Principal("").hashValue)
        #expect(Principal("a") != Principal("a\u{0}"))
    }
}
