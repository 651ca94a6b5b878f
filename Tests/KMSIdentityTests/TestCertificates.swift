import Foundation
import KMSDevPKI
import X509

/// Certificates minted in memory for the tests.
enum TestCertificates {
    /// A client certificate from a fresh dev CA.
    static func client(
        commonName: String = "app",
        organization: String? = nil,
        spiffeIDs: [String] = [],
        dnsNames: [String] = []
    ) throws -> Certificate {
        let authority = try DevCertificateAuthority()
        return try authority.issueClient(ClientCertificateRequest(
            commonName: commonName,
            organization: organization,
            spiffeIDs: spiffeIDs,
            dnsNames: dnsNames
        )).certificate
    }

    /// A certificate with any subject and any SANs, which `issueClient` cannot make:
    /// signed by a fresh dev CA's key, for tests that only read names.
    static func custom(subject: DistinguishedName, names: [GeneralName] = []) throws -> Certificate {
        try custom(subject: subject, extensions: try Certificate.Extensions {
            if !names.isEmpty {
                SubjectAlternativeNames(names)
            }
        })
    }

    /// A certificate with any subject and any extensions, even malformed ones, signed by a
    /// fresh dev CA's key; it goes through PEM and back, as a certificate from the wire would.
    static func custom(subject: DistinguishedName, extensions: Certificate.Extensions) throws -> Certificate {
        let authority = try DevCertificateAuthority()
        let key = try Certificate.PrivateKey(pemEncoded: authority.privateKeyPEM)
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: key.publicKey,
            notValidBefore: Date(timeIntervalSinceNow: -60),
            notValidAfter: Date(timeIntervalSinceNow: 3600),
            issuer: authority.certificate.subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions,
            issuerPrivateKey: key
        )
        return try Certificate(pemEncoded: certificate.serializeAsPEM().pemString)
    }

    /// Whether `leaf` chains to `root` under RFC 5280 rules at the current time.
    static func verifies(_ leaf: Certificate, against root: Certificate) async -> Bool {
        var verifier = Verifier(rootCertificates: CertificateStore([root])) {
            RFC5280Policy()
        }
        let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore())
        if case .validCertificate = result {
            return true
        }
        return false
    }
}
