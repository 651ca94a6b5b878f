import KMSCore
import X509

/// Turns a verified client certificate into the caller's identity.
///
/// A certificate whose identity is unclear gets no principal at all: `resolve` throws
/// `InvalidIdentity`, before any rule is tried and without falling back to the subject DN,
/// when the certificate
/// - has more than one URI SAN with the `spiffe` scheme (in any case: `spiffe:`, `SPIFFE:`);
/// - has one, but it is not a valid SPIFFE ID (see `SPIFFEID`), e.g. `spiffe://Prod.Example/x`;
/// - has a subject alternative name extension that does not parse;
/// - would get the empty principal: no rule matches, it has no SPIFFE ID and its subject is
///   empty (RFC 5280 allows an empty subject when the names are in the SAN extension).
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
        try resolve(SubjectAlternativeNameList(certificate))
    }

    /// The identity of a client that a trusted proxy names by its SPIFFE ID or other URIs,
    /// DNS names and subject (Envoy's `x-forwarded-client-cert` `URI`, `DNS`, `Subject`)
    /// without forwarding its certificate; the same rules and refusals apply as to a
    /// certificate with these names.
    ///
    /// - Throws: `InvalidIdentity` for several SPIFFE IDs or an invalid one.
    public func resolveForwarded(subject: String, uris: [String], dnsNames: [String]) throws(InvalidIdentity) -> CallerIdentity {
        try resolve(SubjectAlternativeNameList(subject: subject, uris: uris, dnsNames: dnsNames))
    }

    private func resolve(_ names: SubjectAlternativeNameList) throws(InvalidIdentity) -> CallerIdentity {
        // Checked before the rules, so that no rule can give such a certificate a name.
        let spiffeID = try SPIFFEID.claimed(amongURIs: names.uris, in: names)
        let principal: String
        if let rule = rules.first(where: { $0.matches(uris: names.uris, dnsNames: names.dnsNames, subject: names.subject) }) {
            principal = rule.principal
        } else {
            principal = spiffeID?.description ?? names.subject
        }
        // An empty subject would otherwise be the empty principal, which a `*` pattern matches
        // and an audit record cannot name (FuzzCertificateIdentity checks for it).
        guard !principal.isEmpty else {
            throw names.invalid("the client certificate names no identity: its subject is empty and it has no SPIFFE ID")
        }
        return CallerIdentity(
            principal: Principal(principal),
            certificateSubject: names.subject,
            certificateSANs: names.texts
        )
    }
}
