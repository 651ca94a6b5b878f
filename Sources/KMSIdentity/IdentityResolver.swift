import KMSCore
import X509

/// Turns a verified client certificate into the caller's identity.
///
/// A certificate whose identity is unclear gets no principal at all: `resolve` throws
/// `InvalidIdentity`, before any rule is tried and without falling back to the subject DN,
/// when the certificate
/// - has more than one URI SAN with the `spiffe` scheme (in any case: `spiffe:`, `SPIFFE:`);
/// - has one, but it is not a valid SPIFFE ID (see `SPIFFEID`), e.g. `spiffe://Prod.Example/x`;
/// - has a subject alternative name extension that does not parse.
///
/// Otherwise the principal is, in this order:
/// 1. the principal of the first rule (in configuration order) that matches any of the
///    certificate's URI SANs, any of its DNS SANs, or its RFC 4514 subject DN;
/// 2. otherwise the certificate's SPIFFE ID, when it has one;
/// 3. otherwise the subject DN in RFC 4514 form.
///
/// The resolver trusts the chain: the TLS layer must already have verified it.
public struct IdentityResolver: Sendable {
    /// The rules, tried in order.
    public let rules: [IdentityRule]

    /// Creates a resolver that tries `rules` in order before the default mapping.
    public init(rules: [IdentityRule] = []) {
        self.rules = rules
    }

    /// The identity of the holder of `certificate`.
    ///
    /// - Throws: `InvalidIdentity` for a certificate with several SPIFFE IDs, an invalid
    ///   SPIFFE ID or a malformed subject alternative name extension; such a certificate
    ///   has no principal.
    public func resolve(_ certificate: Certificate) throws(InvalidIdentity) -> CallerIdentity {
        let subject = RFC4514.string(for: certificate.subject)
        let sans: [GeneralName]
        do {
            sans = Array(try certificate.extensions.subjectAlternativeNames ?? SubjectAlternativeNames())
        } catch {
            throw InvalidIdentity(
                reason: "the client certificate's subject alternative name extension is malformed",
                certificateSubject: subject
            )
        }
        let sanTexts = sans.map(SubjectAlternativeNameText.text)
        var uris: [String] = []
        var dnsNames: [String] = []
        for name in sans {
            switch name {
            case .uniformResourceIdentifier(let uri): uris.append(uri)
            case .dnsName(let dns): dnsNames.append(dns)
            default: break
            }
        }
        // Checked before the rules, so that no rule can give such a certificate a name.
        let spiffeID: SPIFFEID?
        switch Self.spiffeID(among: uris) {
        case .valid(let id):
            spiffeID = id
        case .invalid(let reason):
            throw InvalidIdentity(reason: reason, certificateSubject: subject, certificateSANs: sanTexts)
        }
        let principal: String
        if let rule = rules.first(where: { $0.matches(uris: uris, dnsNames: dnsNames, subject: subject) }) {
            principal = rule.principal
        } else {
            principal = spiffeID?.description ?? subject
        }
        return CallerIdentity(
            principal: Principal(principal),
            certificateSubject: subject,
            certificateSANs: sanTexts
        )
    }

    /// What a certificate's URI SANs say about its SPIFFE ID.
    private enum SPIFFEIDClaim {
        /// No URI with the `spiffe` scheme (`nil`), or exactly one, which is valid.
        case valid(SPIFFEID?)
        /// Several URIs with the `spiffe` scheme, or one that is not a valid SPIFFE ID.
        case invalid(String)
    }

    /// The one SPIFFE ID among `uris`, if any.
    private static func spiffeID(among uris: [String]) -> SPIFFEIDClaim {
        let claimed = uris.filter(SPIFFEID.hasSPIFFEScheme)
        guard claimed.count <= 1 else {
            return .invalid("the client certificate has \(claimed.count) SPIFFE IDs; exactly one is allowed")
        }
        guard let uri = claimed.first else { return .valid(nil) }
        switch SPIFFEID.parse(uri) {
        case .valid(let id):
            return .valid(id)
        case .invalid(let problem):
            return .invalid("the client certificate's SPIFFE ID \(MessageText.quoted(uri)) is invalid: \(problem)")
        }
    }
}
