import Foundation
import KMSCore
import KMSDevPKI
import KMSIdentity
import Testing
import X509

@Suite("Certificates that get no principal")
struct InvalidIdentityTests {
    let resolver = IdentityResolver()

    @Test("two SPIFFE IDs are refused, with the subject and SANs kept for the logs")
    func twoSPIFFEIDs() throws {
        let certificate = try TestCertificates.client(
            commonName: "dual",
            organization: "Example",
            spiffeIDs: ["spiffe://prod.example/one", "spiffe://prod.example/two"]
        )
        let error = #expect(throws: InvalidIdentity.self) { try resolver.resolve(certificate) }
        #expect(error?.reason == "the client certificate has 2 SPIFFE IDs; exactly one is allowed")
        #expect(error?.certificateSubject == "CN=dual,O=Example")
        #expect(error?.certificateSANs == ["URI:spiffe://prod.example/one", "URI:spiffe://prod.example/two"])
        #expect(error?.description == "the client certificate has 2 SPIFFE IDs; exactly one is allowed (certificate subject CN=dual,O=Example)")
    }

    @Test("the same SPIFFE ID twice is still two", arguments: [
        ["spiffe://prod.example/x", "spiffe://prod.example/x"],
        ["spiffe://prod.example/x", "SPIFFE://prod.example/x"],
        ["spiffe://prod.example/x", "spiffe:prod.example/y", "spiffe://prod.example/z"],
    ])
    func duplicates(uris: [String]) throws {
        let certificate = try TestCertificates.custom(
            subject: try DistinguishedName { CommonName("dup") },
            names: uris.map { .uniformResourceIdentifier($0) }
        )
        let error = #expect(throws: InvalidIdentity.self) { try resolver.resolve(certificate) }
        #expect(error?.reason == "the client certificate has \(uris.count) SPIFFE IDs; exactly one is allowed")
    }

    @Test("one invalid SPIFFE ID is refused, even with a subject DN", arguments: [
        ("spiffe://Prod.Example/x", "upper-case letter"),
        ("spiffe://prod.example:443/x", "a port is not allowed"),
        ("spiffe://user@prod.example/x", "user info is not allowed"),
        ("spiffe://prod.example/x?y", "query"),
        ("spiffe://prod.example/x/", "ends with '/'"),
        ("spiffe://prod.example/a/../b", "'.' or '..'"),
        ("spiffe:///x", "trust domain is empty"),
        ("SPIFFE://prod.example/x", "the scheme must be 'spiffe' in lower case"),
        ("Spiffe://prod.example/x", "the scheme must be 'spiffe' in lower case"),
        ("spiffe:prod.example/x", "does not start with 'spiffe://'"),
    ])
    func invalidSPIFFEID(uri: String, problem: String) throws {
        let certificate = try TestCertificates.custom(
            subject: try DistinguishedName {
                OrganizationName("Example")
                CommonName("web")
            },
            names: [.uniformResourceIdentifier(uri), .dnsName("web.payments.svc")]
        )
        let error = #expect(throws: InvalidIdentity.self) { try resolver.resolve(certificate) }
        #expect(error?.reason.hasPrefix("the client certificate's SPIFFE ID '\(uri)' is invalid: ") == true)
        #expect(error?.reason.contains(problem) == true, "\(error?.reason ?? "no error")")
        #expect(error?.certificateSubject == "CN=web,O=Example")
        #expect(error?.certificateSANs == ["URI:\(uri)", "DNS:web.payments.svc"])
    }

    @Test("no identity rule rescues an invalid SPIFFE ID", arguments: [
        IdentityRule.Match.dnsSAN("*.svc"),
        IdentityRule.Match.subject("CN=web,*"),
        IdentityRule.Match.uriSAN("spiffe://*"),
        IdentityRule.Match.uriSAN("https://*"),
    ])
    func rulesDoNotRescue(match: IdentityRule.Match) throws {
        let resolver = IdentityResolver(rules: [try IdentityRule(match, principal: "rescued")])
        for uri in ["spiffe://Prod.Example/x", "spiffe://prod.example:443/x"] {
            let certificate = try TestCertificates.custom(
                subject: try DistinguishedName {
                    OrganizationName("Example")
                    CommonName("web")
                },
                names: [
                    .uniformResourceIdentifier(uri),
                    .uniformResourceIdentifier("https://web.example/app"),
                    .dnsName("web.payments.svc"),
                ]
            )
            #expect(throws: InvalidIdentity.self) { try resolver.resolve(certificate) }
        }
    }

    @Test("no identity rule rescues two SPIFFE IDs")
    func rulesDoNotRescueTwo() throws {
        let resolver = IdentityResolver(rules: [try IdentityRule(.uriSAN("spiffe://prod.example/one"), principal: "one")])
        let certificate = try TestCertificates.client(
            commonName: "dual",
            spiffeIDs: ["spiffe://prod.example/one", "spiffe://prod.example/two"]
        )
        #expect(throws: InvalidIdentity.self) { try resolver.resolve(certificate) }
    }

    @Test("a subject alternative name extension that does not parse is refused", arguments: [
        [UInt8](),
        [0x30, 0x03, 0x01, 0x02],
        [0x04, 0x02, 0x41, 0x42],
    ])
    func malformedSubjectAlternativeNames(value: [UInt8]) throws {
        let subject = try DistinguishedName {
            OrganizationName("Example")
            CommonName("broken")
        }
        let certificate = try TestCertificates.custom(subject: subject, extensions: Certificate.Extensions([
            Certificate.Extension(oid: .X509ExtensionID.subjectAlternativeName, critical: false, value: value[...]),
        ]))
        #expect(throws: (any Error).self) { try certificate.extensions.subjectAlternativeNames }
        let error = #expect(throws: InvalidIdentity.self) { try resolver.resolve(certificate) }
        #expect(error?.reason == "the client certificate's subject alternative name extension is malformed")
        #expect(error?.certificateSubject == "CN=broken,O=Example")
        #expect(error?.certificateSANs == [])

        let withRule = IdentityResolver(rules: [try IdentityRule(.subject("CN=broken,*"), principal: "rescued")])
        #expect(throws: InvalidIdentity.self) { try withRule.resolve(certificate) }
    }

    @Test("one valid SPIFFE ID among other URIs is the principal")
    func validAmongOtherURIs() throws {
        let certificate = try TestCertificates.custom(
            subject: try DistinguishedName { CommonName("api") },
            names: [
                .uniformResourceIdentifier("https://api.example/app"),
                .uniformResourceIdentifier("spiffe://prod.example/ns/payments/sa/api"),
                .uniformResourceIdentifier("urn:uuid:9eebccd2-12bf-40a6-b262-65fe0487d453"),
                .dnsName("api.payments.svc"),
            ]
        )
        #expect(try resolver.resolve(certificate).principal == Principal("spiffe://prod.example/ns/payments/sa/api"))
    }

    @Test("without a URI SAN the principal is still the subject DN")
    func noURISAN() throws {
        let certificate = try TestCertificates.client(
            commonName: "legacy-app",
            organization: "Example",
            dnsNames: ["legacy.example"]
        )
        #expect(try resolver.resolve(certificate).principal == Principal("CN=legacy-app,O=Example"))
    }

    @Test("a certificate without a subject alternative name extension gets its subject DN")
    func noSANExtension() throws {
        let certificate = try TestCertificates.custom(
            subject: try DistinguishedName { CommonName("bare") },
            extensions: Certificate.Extensions()
        )
        let identity = try resolver.resolve(certificate)
        #expect(identity.principal == Principal("CN=bare"))
        #expect(identity.certificateSANs.isEmpty)
    }
}
