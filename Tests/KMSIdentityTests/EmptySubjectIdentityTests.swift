import KMSCore
import KMSIdentity
import Testing
import X509

/// Regression tests for what the identity fuzz target (FuzzCertificateIdentity, docs/TESTING.md)
/// checks: no certificate resolves to the empty principal. A certificate with an empty subject
/// and no SPIFFE ID used to get the principal "", which a `"Principal": "*"` statement matches.
@Suite struct EmptySubjectIdentityTests {
    @Test("an empty subject with only a DNS SAN gets no principal")
    func emptySubjectWithDNSName() throws {
        let certificate = try TestCertificates.custom(subject: DistinguishedName(), names: [.dnsName("app.example")])
        let error = try #require(throws: InvalidIdentity.self) { try IdentityResolver().resolve(certificate) }
        #expect(error.reason.contains("names no identity"))
        #expect(error.certificateSANs == ["DNS:app.example"])
    }

    @Test("an empty subject without any SAN gets no principal")
    func emptySubjectWithoutNames() throws {
        let certificate = try TestCertificates.custom(subject: DistinguishedName())
        #expect(throws: InvalidIdentity.self) { try IdentityResolver().resolve(certificate) }
        #expect(try SPIFFEID.claimed(by: certificate) == nil)
    }

    @Test("a rule may still name a certificate with an empty subject")
    func ruleNamesEmptySubject() throws {
        let certificate = try TestCertificates.custom(subject: DistinguishedName(), names: [.dnsName("app.example")])
        let resolver = IdentityResolver(rules: [try IdentityRule(.dnsSAN("*.example"), principal: "apps")])
        #expect(try resolver.resolve(certificate).principal == Principal("apps"))
    }

    @Test("an empty subject with a SPIFFE ID is named by the SPIFFE ID")
    func emptySubjectWithSPIFFEID() throws {
        let certificate = try TestCertificates.custom(
            subject: DistinguishedName(), names: [.uniformResourceIdentifier("spiffe://prod.example/ns/app")]
        )
        #expect(try IdentityResolver().resolve(certificate).principal == Principal("spiffe://prod.example/ns/app"))
    }

    @Test("names a proxy forwards without a subject or SPIFFE ID give no principal")
    func forwardedWithoutNames() {
        #expect(throws: InvalidIdentity.self) {
            try IdentityResolver().resolveForwarded(subject: "", uris: [], dnsNames: ["app.example"])
        }
    }
}
