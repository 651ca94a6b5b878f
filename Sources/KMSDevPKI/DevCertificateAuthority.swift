import Crypto
import Foundation
import X509

/// A throwaway certificate authority for `kmsd dev` and tests: a self-signed P-256 CA that
/// issues server and client certificates in memory, with swift-certificates.
///
/// Not for production: its key lives in memory and, through `DevCredentialFiles`, in a
/// plain file. Printing or reflecting it never shows the private key.
public struct DevCertificateAuthority: Sendable {
    /// The CA's self-signed certificate: the trust root to give servers and clients.
    public let certificate: Certificate
    /// The CA certificate in PEM (`CERTIFICATE`).
    public let certificatePEM: String
    /// The CA's private key in PKCS#8 PEM (`PRIVATE KEY`).
    public let privateKeyPEM: String

    private let privateKey: Certificate.PrivateKey
    /// The key identifier that issued certificates name in their authority key identifier.
    private let keyIdentifier: ArraySlice<UInt8>

    /// Creates a new CA with a fresh P-256 key.
    ///
    /// The certificate has a critical `basicConstraints` (CA, path length 0), a critical
    /// `keyUsage` of `keyCertSign` and `cRLSign`, and a subject key identifier.
    ///
    /// - Parameters:
    ///   - commonName: the CA's subject `CN`.
    ///   - validity: when the CA certificate is valid; ten years from now by default.
    /// - Throws: `DevPKIError` when the certificate cannot be built.
    public init(commonName: String = "swift-kms dev CA", validity: CertificateValidity = .days(3650)) throws(DevPKIError) {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let keyIdentifier = SubjectKeyIdentifier(hash: key.publicKey)
        let certificate = try wrappingErrors("cannot create the CA certificate") {
            let name = try DistinguishedName { CommonName(commonName) }
            return try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: key.publicKey,
                notValidBefore: validity.notValidBefore,
                notValidAfter: validity.notValidAfter,
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    keyIdentifier
                },
                issuerPrivateKey: key
            )
        }
        try self.init(checkedCertificate: certificate, privateKey: key)
    }

    /// Reloads a CA saved from `certificatePEM` and `privateKeyPEM`.
    ///
    /// - Throws: `DevPKIError` when either PEM does not parse, the key does not belong to
    ///   the certificate, or the certificate is not a CA certificate.
    public init(certificatePEM: String, privateKeyPEM: String) throws(DevPKIError) {
        let credential = try IssuedCredential(certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM)
        let constraints = try wrappingErrors("cannot read the CA certificate's basicConstraints") {
            try credential.certificate.extensions.basicConstraints
        }
        guard case .isCertificateAuthority = constraints else {
            throw DevPKIError("the certificate for \(credential.certificate.subject) is not a CA certificate")
        }
        try self.init(checkedCertificate: credential.certificate, privateKey: credential.privateKey)
    }

    private init(checkedCertificate certificate: Certificate, privateKey: Certificate.PrivateKey) throws(DevPKIError) {
        let credential = try IssuedCredential(certificate: certificate, privateKey: privateKey)
        self.certificate = certificate
        self.privateKey = privateKey
        self.certificatePEM = credential.certificatePEM
        self.privateKeyPEM = credential.privateKeyPEM
        let existing = try? certificate.extensions.subjectKeyIdentifier
        self.keyIdentifier = existing?.keyIdentifier ?? SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier
    }

    /// Issues a TLS server certificate (EKU `serverAuth`) for the given names.
    ///
    /// The subject is `CN=<first hostname>` (or the first IP address when there is no hostname).
    ///
    /// - Parameters:
    ///   - hostnames: DNS SANs, such as `localhost`.
    ///   - ipAddresses: IP SANs in text form, such as `127.0.0.1` or `::1`.
    ///   - validity: when the certificate is valid; a year from now by default.
    /// - Throws: `DevPKIError` when there is no name at all, a name is empty, an IP address
    ///   does not parse, or the certificate cannot be built.
    public func issueServer(
        hostnames: [String],
        ipAddresses: [String],
        validity: CertificateValidity = .days(365)
    ) throws(DevPKIError) -> IssuedCredential {
        guard let commonName = hostnames.first ?? ipAddresses.first else {
            throw DevPKIError("a server certificate needs at least one hostname or IP address")
        }
        var names: [GeneralName] = []
        for hostname in hostnames {
            guard !hostname.isEmpty else { throw DevPKIError("a server hostname is empty") }
            names.append(.dnsName(hostname))
        }
        for address in ipAddresses {
            guard let bytes = IPAddressParser.bytes(of: address) else {
                throw DevPKIError("'\(address)' is not an IPv4 or IPv6 address")
            }
            names.append(.ipAddress(.init(contentBytes: bytes[...])))
        }
        let subject = try wrappingErrors("invalid server subject") {
            try DistinguishedName { CommonName(commonName) }
        }
        return try issue(subject: subject, names: names, usage: .serverAuth, validity: validity)
    }

    /// Issues a TLS client certificate (EKU `clientAuth`) as `request` describes.
    ///
    /// The subject is `CN=<commonName>` with `O=<organization>` when given; the SPIFFE IDs
    /// become URI SANs and the DNS names DNS SANs, in that order.
    ///
    /// - Throws: `DevPKIError` when the common name is empty, a SPIFFE ID does not start
    ///   with `spiffe://`, a DNS name is empty, the validity ends before it starts, or the
    ///   certificate cannot be built.
    public func issueClient(_ request: ClientCertificateRequest) throws(DevPKIError) -> IssuedCredential {
        guard !request.commonName.isEmpty else {
            throw DevPKIError("a client certificate needs a non-empty common name")
        }
        var names: [GeneralName] = []
        for spiffeID in request.spiffeIDs {
            guard spiffeID.hasPrefix("spiffe://") else {
                throw DevPKIError("'\(spiffeID)' is not a SPIFFE ID: it must start with spiffe://")
            }
            names.append(.uniformResourceIdentifier(spiffeID))
        }
        for dnsName in request.dnsNames {
            guard !dnsName.isEmpty else { throw DevPKIError("a client DNS name is empty") }
            names.append(.dnsName(dnsName))
        }
        let validity = try CertificateValidity(
            notValidBefore: request.notValidBefore,
            notValidAfter: request.notValidAfter
        )
        let subject = try wrappingErrors("invalid client subject") {
            try DistinguishedName {
                if let organization = request.organization {
                    OrganizationName(organization)
                }
                CommonName(request.commonName)
            }
        }
        return try issue(subject: subject, names: names, usage: .clientAuth, validity: validity)
    }

    /// Issues an end-entity certificate with a fresh P-256 key, signed by this CA.
    private func issue(
        subject: DistinguishedName,
        names: [GeneralName],
        usage: ExtendedKeyUsage.Usage,
        validity: CertificateValidity
    ) throws(DevPKIError) -> IssuedCredential {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let certificate = try wrappingErrors("cannot issue a certificate for \(subject)") {
            try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: key.publicKey,
                notValidBefore: validity.notValidBefore,
                notValidAfter: validity.notValidAfter,
                issuer: self.certificate.subject,
                subject: subject,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    try ExtendedKeyUsage([usage])
                    SubjectKeyIdentifier(hash: key.publicKey)
                    AuthorityKeyIdentifier(keyIdentifier: keyIdentifier)
                    if !names.isEmpty {
                        SubjectAlternativeNames(names)
                    }
                },
                issuerPrivateKey: privateKey
            )
        }
        return try IssuedCredential(certificate: certificate, privateKey: key)
    }

    /// Whether `certificate` was signed by this CA's key and names this CA as its issuer.
    public func issued(_ certificate: Certificate) -> Bool {
        certificate.issuer == self.certificate.subject
            && self.certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
    }
}

extension DevCertificateAuthority: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "DevCertificateAuthority(subject: \(certificate.subject), privateKey: redacted)"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["certificate": certificate], displayStyle: .struct)
    }
}
