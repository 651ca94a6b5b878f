import X509

extension SPIFFEID {
    /// The SPIFFE ID `certificate` claims in its URI SANs: `nil` when no URI SAN has the
    /// `spiffe` scheme.
    ///
    /// - Throws: `InvalidIdentity` when the certificate's subject alternative name extension
    ///   is malformed, when it has several URI SANs with the `spiffe` scheme (in any case),
    ///   or one that is not a valid SPIFFE ID. Such a certificate has no identity; its
    ///   `certificateSubject` and `certificateSANs` are filled in.
    public static func claimed(by certificate: Certificate) throws(InvalidIdentity) -> SPIFFEID? {
        let names = try SubjectAlternativeNameList(certificate)
        return try claimed(amongURIs: names.uris, in: names)
    }

    /// The one SPIFFE ID among `uris`, the URI SANs of the certificate that `names` lists.
    static func claimed(amongURIs uris: [String], in names: SubjectAlternativeNameList) throws(InvalidIdentity) -> SPIFFEID? {
        let claimed = uris.filter(SPIFFEID.hasSPIFFEScheme)
        guard claimed.count <= 1 else {
            throw names.invalid("the client certificate has \(claimed.count) SPIFFE IDs; exactly one is allowed")
        }
        guard let uri = claimed.first else { return nil }
        switch SPIFFEID.parse(uri) {
        case .valid(let id):
            return id
        case .invalid(let problem):
            throw names.invalid("the client certificate's SPIFFE ID \(MessageText.quoted(uri)) is invalid: \(problem)")
        }
    }
}

/// A certificate's subject DN (RFC 4514) and subject alternative names, read once; or the
/// names a trusted proxy forwarded for a client whose certificate it did not forward.
struct SubjectAlternativeNameList {
    let subject: String
    let texts: [String]
    let uris: [String]
    let dnsNames: [String]

    /// - Throws: `InvalidIdentity` when the subject alternative name extension is malformed.
    init(_ certificate: Certificate) throws(InvalidIdentity) {
        subject = RFC4514.string(for: certificate.subject)
        let sans: [GeneralName]
        do {
            sans = Array(try certificate.extensions.subjectAlternativeNames ?? SubjectAlternativeNames())
        } catch {
            throw InvalidIdentity(
                reason: "the client certificate's subject alternative name extension is malformed",
                certificateSubject: subject
            )
        }
        texts = sans.map(SubjectAlternativeNameText.text)
        var uris: [String] = []
        var dnsNames: [String] = []
        for name in sans {
            switch name {
            case .uniformResourceIdentifier(let uri): uris.append(uri)
            case .dnsName(let dns): dnsNames.append(dns)
            default: break
            }
        }
        self.uris = uris
        self.dnsNames = dnsNames
    }

    /// Names as a proxy forwarded them.
    init(subject: String, uris: [String], dnsNames: [String]) {
        self.subject = subject
        self.uris = uris
        self.dnsNames = dnsNames
        self.texts = uris.map { "URI:\($0)" } + dnsNames.map { "DNS:\($0)" }
    }

    /// The refusal of this certificate for `reason`.
    func invalid(_ reason: String) -> InvalidIdentity {
        InvalidIdentity(reason: reason, certificateSubject: subject, certificateSANs: texts)
    }
}
