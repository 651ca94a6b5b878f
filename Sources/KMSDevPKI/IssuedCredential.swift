import X509

/// A certificate and its private key, as issued by `DevCertificateAuthority`.
///
/// Printing or reflecting a credential shows the certificate's subject and serial number,
/// never the private key.
public struct IssuedCredential: Sendable {
    /// The certificate.
    public let certificate: Certificate
    /// The certificate's private key.
    public let privateKey: Certificate.PrivateKey
    /// The certificate in PEM (`CERTIFICATE`).
    public let certificatePEM: String
    /// The private key in PKCS#8 PEM (`PRIVATE KEY`).
    public let privateKeyPEM: String

    /// Wraps a certificate and its key, encoding both as PEM.
    ///
    /// - Throws: `DevPKIError` when the key does not belong to the certificate or cannot be encoded.
    init(certificate: Certificate, privateKey: Certificate.PrivateKey) throws(DevPKIError) {
        guard privateKey.publicKey == certificate.publicKey else {
            throw DevPKIError("the private key does not belong to the certificate for \(certificate.subject)")
        }
        self.certificate = certificate
        self.privateKey = privateKey
        self.certificatePEM = try wrappingErrors("cannot encode the certificate as PEM") {
            try certificate.serializeAsPEM().pemString
        }
        self.privateKeyPEM = try wrappingErrors("cannot encode the private key as PEM", includeCause: false) {
            try privateKey.serializeAsPEM().pemString
        }
    }

    /// Reads a credential back from PEM.
    ///
    /// - Parameters:
    ///   - certificatePEM: one `CERTIFICATE` PEM block.
    ///   - privateKeyPEM: its private key as PKCS#8 (`PRIVATE KEY`) or SEC 1 (`EC PRIVATE KEY`) PEM.
    /// - Throws: `DevPKIError` when either does not parse or the key does not belong to the certificate.
    public init(certificatePEM: String, privateKeyPEM: String) throws(DevPKIError) {
        let certificate = try wrappingErrors("cannot read the certificate PEM") {
            try Certificate(pemEncoded: certificatePEM)
        }
        // The parser's message could quote the input, so it is left out.
        let privateKey = try wrappingErrors("cannot read the private key PEM", includeCause: false) {
            try Certificate.PrivateKey(pemEncoded: privateKeyPEM)
        }
        try self.init(certificate: certificate, privateKey: privateKey)
    }
}

extension IssuedCredential: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "IssuedCredential(subject: \(certificate.subject), serial: \(certificate.serialNumber), privateKey: redacted)"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["certificate": certificate], displayStyle: .struct)
    }
}
