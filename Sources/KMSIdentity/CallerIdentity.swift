import KMSCore

/// Who is calling, as read from a verified client certificate: the principal that
/// policies and audit records name, plus the certificate's names for the audit trail.
public struct CallerIdentity: Sendable, Equatable {
    /// The principal policies are evaluated for.
    public let principal: Principal
    /// The certificate's subject DN in RFC 4514 form, most specific RDN first
    /// (`CN=legacy-app,O=Example`); empty for an empty subject.
    public let certificateSubject: String
    /// The certificate's subject alternative names in certificate order, each with its
    /// kind: `URI:spiffe://…`, `DNS:…`, `IP:…`, `EMAIL:…` (and `DIRNAME:…`, `RID:…`,
    /// `OTHERNAME:…` for the rare other kinds).
    public let certificateSANs: [String]

    /// Creates an identity from its parts; `IdentityResolver` is the usual source.
    public init(principal: Principal, certificateSubject: String, certificateSANs: [String]) {
        self.principal = principal
        self.certificateSubject = certificateSubject
        self.certificateSANs = certificateSANs
    }
}
