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
        let authority = try DevCertificateAuthority()
        let key = try Certificate.PrivateKey(pemEncoded: authority.privateKeyPEM)
        return try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: key.publicKey,
            notValidBefore: Date(timeIntervalSinceNow: -60),
            notValidAfter: Date(timeIntervalSinceNow: 3600),
            issuer: authority.certificate.subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                if !names.isEmpty {
                    SubjectAlternativeNames(names)
                }
            },
            issuerPrivateKey: key
        )
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
