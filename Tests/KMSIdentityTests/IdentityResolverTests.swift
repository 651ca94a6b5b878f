import KMSCore
import KMSDevPKI
import KMSIdentity
import Testing
import X509

@Suite("IdentityResolver default mapping")
struct IdentityResolverDefaultTests {
    let resolver = IdentityResolver()

    @Test("a single SPIFFE ID is the principal")
    func singleSPIFFEID() throws {
        let certificate = try TestCertificates.client(
            commonName: "api",
            spiffeIDs: ["spiffe://prod.example/ns/payments/sa/api"],
            dnsNames: ["api.payments.svc"]
        )
        let identity = try resolver.resolve(certificate)
        #expect(identity.principal == Principal("spiffe://prod.example/ns/payments/sa/api"))
        #expect(identity.certificateSubject == "CN=api")
    }

    @Test("two SPIFFE IDs give no principal, not the subject DN")
    func twoSPIFFEIDs() throws {
        let certificate = try TestCertificates.client(
            commonName: "dual",
            organization: "Example",
            spiffeIDs: ["spiffe://a.example/one", "spiffe://a.example/two"]
        )
        let error = #expect(throws: InvalidIdentity.self) { try resolver.resolve(certificate) }
        #expect(error?.reason == "the client certificate has 2 SPIFFE IDs; exactly one is allowed")
        #expect(error?.certificateSubject == "CN=dual,O=Example")
    }

    @Test("no SAN at all gives the subject DN, most specific RDN first")
    func noSAN() throws {
        let certificate = try TestCertificates.client(commonName: "legacy-app", organization: "Example")
        let identity = try resolver.resolve(certificate)
        #expect(identity.principal == Principal("CN=legacy-app,O=Example"))
        #expect(identity.certificateSANs.isEmpty)
    }

    @Test("a URI SAN that is not a SPIFFE ID does not count as one")
    func nonSPIFFEURI() throws {
        let subject = try DistinguishedName { CommonName("web") }
        let certificate = try TestCertificates.custom(
            subject: subject,
            names: [.uniformResourceIdentifier("https://example.com/app"), .uniformResourceIdentifier("urn:spiffe:x")]
        )
        #expect(try resolver.resolve(certificate).principal == Principal("CN=web"))
    }

    @Test("one SPIFFE ID among other URI SANs is still the principal")
    func spiffeIDAmongOtherURIs() throws {
        let subject = try DistinguishedName { CommonName("web") }
        let certificate = try TestCertificates.custom(
            subject: subject,
            names: [.uniformResourceIdentifier("https://example.com/app"), .uniformResourceIdentifier("spiffe://td/web")]
        )
        #expect(try resolver.resolve(certificate).principal == Principal("spiffe://td/web"))
    }

    @Test("SANs are listed with their kinds, in certificate order")
    func sanListing() throws {
        let subject = try DistinguishedName { CommonName("many") }
        let directoryName = try DistinguishedName {
            OrganizationName("Example")
            CommonName("dir")
        }
        let certificate = try TestCertificates.custom(
            subject: subject,
            names: [
                .uniformResourceIdentifier("spiffe://td/many"),
                .dnsName("many.example"),
                .ipAddress(.init(contentBytes: [10, 0, 0, 7])),
                .ipAddress(.init(contentBytes: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
                .rfc822Name("ops@example.com"),
                .directoryName(directoryName),
                .registeredID([1, 3, 6, 1, 4, 1, 99999, 1]),
            ]
        )
        #expect(try resolver.resolve(certificate).certificateSANs == [
            "URI:spiffe://td/many",
            "DNS:many.example",
            "IP:10.0.0.7",
            "IP:2001:db8::1",
            "EMAIL:ops@example.com",
            "DIRNAME:CN=dir,O=Example",
            "RID:1.3.6.1.4.1.99999.1",
        ])
    }

    @Test("the dev server certificate lists its DNS and IP SANs")
    func serverCertificateSANs() throws {
        let authority = try DevCertificateAuthority()
        let server = try authority.issueServer(hostnames: ["localhost"], ipAddresses: ["127.0.0.1", "::1"])
        let identity = try resolver.resolve(server.certificate)
        #expect(identity.certificateSANs == ["DNS:localhost", "IP:127.0.0.1", "IP:::1"])
        #expect(identity.principal == Principal("CN=localhost"))
    }
}

@Suite("IdentityResolver rules")
struct IdentityResolverRuleTests {
    @Test("a URI SAN rule with * maps a whole namespace to one principal")
    func uriRule() throws {
        let resolver = IdentityResolver(rules: [
            try IdentityRule(.uriSAN("spiffe://prod.example/ns/payments/*"), principal: "payments")
        ])
        let payments = try TestCertificates.client(spiffeIDs: ["spiffe://prod.example/ns/payments/sa/api"])
        let billing = try TestCertificates.client(spiffeIDs: ["spiffe://prod.example/ns/billing/sa/api"])
        #expect(try resolver.resolve(payments).principal == Principal("payments"))
        #expect(try resolver.resolve(billing).principal == Principal("spiffe://prod.example/ns/billing/sa/api"))
    }

    @Test("a URI SAN rule matches any of several URI SANs")
    func uriRuleWithSeveralSANs() throws {
        let resolver = IdentityResolver(rules: [try IdentityRule(.uriSAN("https://b.example/*"), principal: "b")])
        let certificate = try TestCertificates.custom(
            subject: try DistinguishedName { CommonName("several") },
            names: [.uniformResourceIdentifier("spiffe://a.example/x"), .uniformResourceIdentifier("https://b.example/y")]
        )
        #expect(try resolver.resolve(certificate).principal == Principal("b"))
    }

    @Test("a URI SAN rule does not rescue a certificate with two SPIFFE IDs")
    func uriRuleDoesNotRescueTwoSPIFFEIDs() throws {
        let resolver = IdentityResolver(rules: [try IdentityRule(.uriSAN("spiffe://b.example/*"), principal: "b")])
        let certificate = try TestCertificates.client(spiffeIDs: ["spiffe://a.example/x", "spiffe://b.example/y"])
        #expect(throws: InvalidIdentity.self) { try resolver.resolve(certificate) }
    }

    @Test("a DNS SAN rule ignores case; ? stands for one character")
    func dnsRule() throws {
        let resolver = IdentityResolver(rules: [try IdentityRule(.dnsSAN("node-?.*.internal.example"), principal: "nodes")])
        let matching = try TestCertificates.client(dnsNames: ["NODE-7.eu.Internal.Example"])
        let twoDigits = try TestCertificates.client(commonName: "n", dnsNames: ["node-17.eu.internal.example"])
        #expect(try resolver.resolve(matching).principal == Principal("nodes"))
        #expect(try resolver.resolve(twoDigits).principal == Principal("CN=n"))
    }

    @Test("a subject rule matches the RFC 4514 subject")
    func subjectRule() throws {
        let resolver = IdentityResolver(rules: [try IdentityRule(.subject("CN=legacy-*,O=Example"), principal: "legacy")])
        let legacy = try TestCertificates.client(commonName: "legacy-app", organization: "Example")
        let other = try TestCertificates.client(commonName: "legacy-app", organization: "Other")
        #expect(try resolver.resolve(legacy).principal == Principal("legacy"))
        #expect(try resolver.resolve(other).principal == Principal("CN=legacy-app,O=Other"))
    }

    @Test("a rule wins over the SPIFFE default, and the first matching rule wins")
    func firstMatchWins() throws {
        let specific = try IdentityRule(.uriSAN("spiffe://prod.example/ns/payments/sa/api"), principal: "payments-api")
        let broad = try IdentityRule(.dnsSAN("*.svc"), principal: "any-service")
        let certificate = try TestCertificates.client(
            spiffeIDs: ["spiffe://prod.example/ns/payments/sa/api"],
            dnsNames: ["api.payments.svc"]
        )
        #expect(try IdentityResolver(rules: [specific, broad]).resolve(certificate).principal == Principal("payments-api"))
        #expect(try IdentityResolver(rules: [broad, specific]).resolve(certificate).principal == Principal("any-service"))
    }

    @Test("a rule kind only looks at its own kind of name")
    func kindsStayApart() throws {
        let resolver = IdentityResolver(rules: [
            try IdentityRule(.dnsSAN("spiffe://*"), principal: "wrong"),
            try IdentityRule(.uriSAN("CN=*"), principal: "wrong"),
        ])
        let certificate = try TestCertificates.client(commonName: "x", spiffeIDs: ["spiffe://td/x"])
        #expect(try resolver.resolve(certificate).principal == Principal("spiffe://td/x"))
    }
}

@Suite("IdentityRule from configuration")
struct IdentityRuleConfigTests {
    @Test("the configuration kinds build the matching rule", arguments: [
        ("uri_san", IdentityRule.Match.uriSAN("spiffe://td/*")),
        ("dns_san", IdentityRule.Match.dnsSAN("spiffe://td/*")),
        ("subject", IdentityRule.Match.subject("spiffe://td/*")),
    ])
    func kinds(kind: String, expected: IdentityRule.Match) throws {
        let rule = try IdentityRule(kind: kind, pattern: "spiffe://td/*", principal: "p")
        #expect(rule.match == expected)
        #expect(rule.principal == "p")
    }

    @Test("an unknown kind is a validation error that lists the valid kinds")
    func unknownKind() {
        let error = #expect(throws: KMSError.self) {
            try IdentityRule(kind: "uri", pattern: "spiffe://td/*", principal: "p")
        }
        #expect(error?.code == .validation)
        #expect(error?.message.contains("'uri'") == true)
        #expect(error?.message.contains("uri_san, dns_san, subject") == true)
    }

    @Test("an empty pattern or principal is a validation error", arguments: [("", "p"), ("CN=*", "")])
    func emptyParts(pattern: String, principal: String) {
        let error = #expect(throws: KMSError.self) {
            try IdentityRule(kind: "subject", pattern: pattern, principal: principal)
        }
        #expect(error?.code == .validation)
    }

    @Test("subject rules compare names byte for byte: an NFC pattern does not match an NFD subject")
    func subjectRulesDoNotNormalize() throws {
        let nfd = "cafe\u{301}"
        let certificate = try TestCertificates.client(commonName: nfd)
        let nfcRule = try IdentityRule(.subject("CN=caf\u{E9}"), principal: "nfc")
        let nfdRule = try IdentityRule(.subject("CN=\(nfd)"), principal: "nfd")
        #expect(try IdentityResolver(rules: [nfcRule, nfdRule]).resolve(certificate).principal == Principal("nfd"))
        #expect(try IdentityResolver(rules: [nfcRule]).resolve(certificate).principal == Principal("CN=\(nfd)"))
    }
}
