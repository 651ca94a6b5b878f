import Crypto
import X509

extension DevCertificateAuthority {
    /// Issues an X.509-SVID as SPIRE does: one SPIFFE ID as the only URI SAN, both the
    /// `serverAuth` and `clientAuth` EKUs, so the same certificate serves TLS and makes calls.
    ///
    /// Each call makes a fresh P-256 key and a fresh serial number. The subject is
    /// `O=SPIFFE`; the SPIFFE ID comes first among the SANs, then the DNS names and IP
    /// addresses, which let the SVID serve TLS for those names (`127.0.0.1` in tests).
    ///
    /// - Parameters:
    ///   - spiffeID: the SVID's SPIFFE ID; must start with `spiffe://` and name a trust domain.
    ///   - dnsNames: DNS SANs.
    ///   - ipAddresses: IP SANs in text form, such as `127.0.0.1` or `::1`.
    ///   - validity: when the SVID is valid; a day from now by default (SPIRE's are shorter).
    /// - Throws: `DevPKIError` when the SPIFFE ID has no `spiffe://` scheme or no trust
    ///   domain, a DNS name is empty, an IP address does not parse, or the certificate
    ///   cannot be built.
    public func issueSVID(
        spiffeID: String,
        dnsNames: [String] = [],
        ipAddresses: [String] = [],
        validity: CertificateValidity = .days(1)
    ) throws(DevPKIError) -> IssuedCredential {
        let scheme = "spiffe://"
        guard spiffeID.hasPrefix(scheme), !spiffeID.dropFirst(scheme.count).hasPrefix("/"),
              spiffeID.count > scheme.count
        else {
            throw DevPKIError("'\(spiffeID)' is not a SPIFFE ID: it must be spiffe://<trust domain>[/path]")
        }
        var names: [GeneralName] = [.uniformResourceIdentifier(spiffeID)]
        for dnsName in dnsNames {
            guard !dnsName.isEmpty else { throw DevPKIError("an SVID DNS name is empty") }
            names.append(.dnsName(dnsName))
        }
        for address in ipAddresses {
            guard let bytes = IPAddressParser.bytes(of: address) else {
                throw DevPKIError("'\(address)' is not an IPv4 or IPv6 address")
            }
            names.append(.ipAddress(.init(contentBytes: bytes[...])))
        }
        // The CA's key is private to the main file; it is reloaded from its public PEM.
        let issuerKey = try wrappingErrors("cannot read the CA's private key", includeCause: false) {
            try Certificate.PrivateKey(pemEncoded: privateKeyPEM)
        }
        let authorityKeyIdentifier = (try? certificate.extensions.subjectKeyIdentifier)?.keyIdentifier
            ?? SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let svid = try wrappingErrors("cannot issue an SVID for \(spiffeID)") {
            try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: key.publicKey,
                notValidBefore: validity.notValidBefore,
                notValidAfter: validity.notValidAfter,
                issuer: certificate.subject,
                subject: try DistinguishedName { OrganizationName("SPIFFE") },
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true, keyEncipherment: true, keyAgreement: true))
                    try ExtendedKeyUsage([.serverAuth, .clientAuth])
                    SubjectKeyIdentifier(hash: key.publicKey)
                    AuthorityKeyIdentifier(keyIdentifier: authorityKeyIdentifier)
                    SubjectAlternativeNames(names)
                },
                issuerPrivateKey: issuerKey
            )
        }
        return try IssuedCredential(certificate: svid, privateKey: key)
    }
}
