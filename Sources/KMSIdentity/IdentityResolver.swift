import KMSCore
import X509

/// Turns a verified client certificate into the caller's identity.
///
/// The principal is, in this order:
/// 1. the principal of the first rule (in configuration order) that matches any of the
///    certificate's URI SANs, any of its DNS SANs, or its RFC 4514 subject DN;
/// 2. otherwise the certificate's SPIFFE ID, when it has exactly one URI SAN that starts
///    with `spiffe://`;
/// 3. otherwise (no SPIFFE ID, or several) the subject DN in RFC 4514 form.
///
/// The resolver trusts its input: the TLS layer must already have verified the chain.
/// A subject alternative name extension that does not parse counts as no SANs
/// (TLS stacks reject such certificates before they get here).
public struct IdentityResolver: Sendable {
    /// The rules, tried in order.
    public let rules: [IdentityRule]

    /// Creates a resolver that tries `rules` in order before the default mapping.
    public init(rules: [IdentityRule] = []) {
        self.rules = rules
    }

    /// The identity of the holder of `certificate`.
    public func resolve(_ certificate: Certificate) -> CallerIdentity {
        let subject = RFC4514.string(for: certificate.subject)
        let sans = Array((try? certificate.extensions.subjectAlternativeNames) ?? SubjectAlternativeNames())
        var uris: [String] = []
        var dnsNames: [String] = []
        for name in sans {
            switch name {
            case .uniformResourceIdentifier(let uri): uris.append(uri)
            case .dnsName(let dns): dnsNames.append(dns)
            default: break
            }
        }
        let principal: String
        if let rule = rules.first(where: { $0.matches(uris: uris, dnsNames: dnsNames, subject: subject) }) {
            principal = rule.principal
        } else {
            let spiffeIDs = uris.filter { $0.hasPrefix("spiffe://") }
            principal = spiffeIDs.count == 1 ? spiffeIDs[0] : subject
        }
        return CallerIdentity(
            principal: Principal(principal),
            certificateSubject: subject,
            certificateSANs: sans.map(SubjectAlternativeNameText.text)
        )
    }
}
