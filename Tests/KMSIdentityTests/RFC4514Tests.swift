import KMSIdentity
import Testing
import X509

@Suite("RFC 4514 subject strings")
struct RFC4514Tests {
    let resolver = IdentityResolver()

    @Test("special characters in values are escaped")
    func escaping() throws {
        let certificate = try TestCertificates.client(commonName: #"a,b+c"d\e<f>g;h=i"#, organization: "#Hash Org ")
        let subject = try resolver.resolve(certificate).certificateSubject
        #expect(subject == ##"CN=a\,b\+c\"d\\e\<f\>g\;h=i,O=\#Hash Org\ "##)
        #expect(try resolver.resolve(certificate).principal.name == subject)
    }

    @Test("a leading space is escaped; # and spaces inside a value are not", arguments: [
        (" lead", #"CN=\ lead"#),
        ("in # side", "CN=in # side"),
        (" ", #"CN=\ "#),
        ("a\u{0}b\nc", #"CN=a\00b\0ac"#),
        ("Zoë", "CN=Zoë"),
    ])
    func edgeCases(commonName: String, expected: String) throws {
        let certificate = try TestCertificates.client(commonName: commonName)
        #expect(try resolver.resolve(certificate).certificateSubject == expected)
    }

    @Test("a multi-valued RDN is joined with +")
    func multiValuedRDN() throws {
        let subject = DistinguishedName([
            RelativeDistinguishedName(.init(type: .RDNAttributeType.organizationName, utf8String: "Example")),
            RelativeDistinguishedName([
                .init(type: .RDNAttributeType.commonName, utf8String: "a+b"),
                .init(type: .RDNAttributeType.organizationalUnitName, utf8String: "Payments"),
            ]),
        ])
        let certificate = try TestCertificates.custom(subject: subject)
        // Within an RDN, attributes keep swift-certificates' DER set order (CN sorts before OU).
        #expect(try resolver.resolve(certificate).certificateSubject == #"CN=a\+b+OU=Payments,O=Example"#)
    }

    @Test("RFC 4514 short names are used; other types are dotted OIDs with hex DER values")
    func attributeTypes() throws {
        let subject = DistinguishedName([
            RelativeDistinguishedName(.init(type: .RDNAttributeType.domainComponent, utf8String: "com")),
            RelativeDistinguishedName(.init(type: .RDNAttributeType.domainComponent, utf8String: "example")),
            RelativeDistinguishedName(.init(type: .RDNAttributeType.countryName, utf8String: "DE")),
            RelativeDistinguishedName(.init(type: .RDNAttributeType.stateOrProvinceName, utf8String: "Berlin")),
            RelativeDistinguishedName(.init(type: .RDNAttributeType.localityName, utf8String: "Berlin")),
            RelativeDistinguishedName(.init(type: .RDNAttributeType.streetAddress, utf8String: "Main St 1")),
            RelativeDistinguishedName(.init(type: [0, 9, 2342, 19_200_300, 100, 1, 1], utf8String: "jdoe")),
            RelativeDistinguishedName(try .init(type: .RDNAttributeType.emailAddress, ia5String: "a@b")),
        ])
        let certificate = try TestCertificates.custom(subject: subject)
        #expect(try resolver.resolve(certificate).certificateSubject
            == "1.2.840.113549.1.9.1=#1603614062,UID=jdoe,STREET=Main St 1,L=Berlin,ST=Berlin,C=DE,DC=example,DC=com")
    }

    @Test("swift-certificates' own description is not RFC 4514, which is why KMSIdentity formats names itself")
    func differsFromDescription() throws {
        let subject = DistinguishedName([
            RelativeDistinguishedName(.init(type: [0, 9, 2342, 19_200_300, 100, 1, 1], utf8String: "jdoe")),
            RelativeDistinguishedName(.init(type: .RDNAttributeType.commonName, utf8String: "a\u{0}b")),
        ])
        #expect(String(describing: subject) != RFC4514.string(for: subject))
        #expect(RFC4514.string(for: subject) == #"CN=a\00b,UID=jdoe"#)
    }

    @Test("an empty subject is the empty string")
    func emptySubject() {
        #expect(RFC4514.string(for: DistinguishedName()) == "")
    }
}
