import Foundation
import KMSDevPKI
import KMSIdentity
import Testing
import X509

@Suite("DevCertificateAuthority")
struct DevCertificateAuthorityTests {
    @Test("the CA certificate is a P-256 CA with keyCertSign, cRLSign and a subject key identifier")
    func caCertificate() throws {
        let authority = try DevCertificateAuthority(commonName: "test CA")
        let certificate = authority.certificate
        #expect(certificate.subject == certificate.issuer)
        #expect(try IdentityResolver().resolve(certificate).certificateSubject == "CN=test CA")
        let extensions = certificate.extensions
        #expect(try extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        #expect(extensions[oid: .X509ExtensionID.basicConstraints]?.critical == true)
        #expect(try extensions.keyUsage == KeyUsage(keyCertSign: true, cRLSign: true))
        #expect(try extensions.subjectKeyIdentifier != nil)
        #expect(certificate.signatureAlgorithm == .ecdsaWithSHA256)
    }

    @Test("issued client certificates chain to the CA and carry clientAuth")
    func clientChains() async throws {
        let authority = try DevCertificateAuthority()
        let client = try authority.issueClient(ClientCertificateRequest(
            commonName: "app",
            spiffeIDs: ["spiffe://td/app"]
        ))
        #expect(await TestCertificates.verifies(client.certificate, against: authority.certificate))
        let extensions = client.certificate.extensions
        #expect(try extensions.extendedKeyUsage == ExtendedKeyUsage([.clientAuth]))
        #expect(try extensions.basicConstraints == .notCertificateAuthority)
        #expect(try extensions.authorityKeyIdentifier?.keyIdentifier
            == authority.certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
        #expect(authority.issued(client.certificate))
    }

    @Test("issued server certificates chain to the CA and carry serverAuth")
    func serverChains() async throws {
        let authority = try DevCertificateAuthority()
        let server = try authority.issueServer(hostnames: ["localhost"], ipAddresses: ["127.0.0.1"])
        #expect(await TestCertificates.verifies(server.certificate, against: authority.certificate))
        #expect(try server.certificate.extensions.extendedKeyUsage == ExtendedKeyUsage([.serverAuth]))
    }

    @Test("a certificate from another CA does not verify")
    func otherCADoesNotVerify() async throws {
        let authority = try DevCertificateAuthority()
        let stranger = try DevCertificateAuthority().issueClient(ClientCertificateRequest(commonName: "x"))
        #expect(await !TestCertificates.verifies(stranger.certificate, against: authority.certificate))
        #expect(!authority.issued(stranger.certificate))
    }

    @Test("an expired request gives an expired certificate that fails verification")
    func expired() async throws {
        let authority = try DevCertificateAuthority()
        let now = Date()
        let expired = try authority.issueClient(ClientCertificateRequest(
            commonName: "old",
            notValidBefore: now.addingTimeInterval(-2 * 86_400),
            notValidAfter: now.addingTimeInterval(-86_400)
        ))
        #expect(expired.certificate.notValidAfter < now)
        #expect(await !TestCertificates.verifies(expired.certificate, against: authority.certificate))
    }

    @Test("PEM round trip gives back the same certificate and key; keys are PKCS#8")
    func pemRoundTrip() throws {
        // Spelled in two parts so that no line of the repository looks like a committed key.
        let pkcs8Header = "-----BEGIN " + "PRIVATE KEY-----"
        let authority = try DevCertificateAuthority()
        let issued = try authority.issueClient(ClientCertificateRequest(commonName: "app"))
        #expect(issued.privateKeyPEM.hasPrefix(pkcs8Header))
        #expect(issued.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----"))
        let reread = try IssuedCredential(certificatePEM: issued.certificatePEM, privateKeyPEM: issued.privateKeyPEM)
        #expect(reread.certificate == issued.certificate)
        #expect(reread.privateKey == issued.privateKey)
        #expect(authority.privateKeyPEM.hasPrefix(pkcs8Header))
    }

    @Test("a reloaded CA is the same CA and issues certificates the original trusts")
    func reload() async throws {
        let original = try DevCertificateAuthority()
        let reloaded = try DevCertificateAuthority(
            certificatePEM: original.certificatePEM,
            privateKeyPEM: original.privateKeyPEM
        )
        #expect(reloaded.certificate == original.certificate)
        let client = try reloaded.issueClient(ClientCertificateRequest(commonName: "app"))
        #expect(await TestCertificates.verifies(client.certificate, against: original.certificate))
    }

    @Test("reloading with a foreign key or a leaf certificate fails")
    func reloadRejectsMismatches() throws {
        let authority = try DevCertificateAuthority()
        let other = try DevCertificateAuthority()
        #expect(throws: DevPKIError.self) {
            try DevCertificateAuthority(certificatePEM: authority.certificatePEM, privateKeyPEM: other.privateKeyPEM)
        }
        let leaf = try authority.issueClient(ClientCertificateRequest(commonName: "leaf"))
        let error = #expect(throws: DevPKIError.self) {
            try DevCertificateAuthority(certificatePEM: leaf.certificatePEM, privateKeyPEM: leaf.privateKeyPEM)
        }
        #expect(error?.message.contains("not a CA certificate") == true)
    }

    @Test("invalid requests are refused")
    func invalidRequests() throws {
        let authority = try DevCertificateAuthority()
        let now = Date()
        let requests = [
            ClientCertificateRequest(commonName: ""),
            ClientCertificateRequest(commonName: "x", spiffeIDs: ["https://not-spiffe"]),
            ClientCertificateRequest(commonName: "x", dnsNames: [""]),
            ClientCertificateRequest(commonName: "x", notValidBefore: now, notValidAfter: now.addingTimeInterval(-1)),
        ]
        for request in requests {
            #expect(throws: DevPKIError.self) { try authority.issueClient(request) }
        }
        #expect(throws: DevPKIError.self) { try authority.issueServer(hostnames: [], ipAddresses: []) }
        #expect(throws: DevPKIError.self) { try authority.issueServer(hostnames: ["h"], ipAddresses: ["300.1.1.1"]) }
    }

    @Test("printing or dumping never shows a private key")
    func noKeyInDescriptions() throws {
        let authority = try DevCertificateAuthority()
        let issued = try authority.issueClient(ClientCertificateRequest(commonName: "app"))
        for (value, keyPEM) in [(authority as Any, authority.privateKeyPEM), (issued as Any, issued.privateKeyPEM)] {
            let keyBody = keyPEM.split(separator: "\n").dropFirst().first.map(String.init) ?? keyPEM
            var dumped = ""
            dump(value, to: &dumped)
            for text in [String(describing: value), String(reflecting: value), dumped] {
                #expect(!text.contains(keyBody))
                #expect(!text.contains("PRIVATE KEY"))
            }
        }
    }
}
