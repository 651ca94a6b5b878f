/// Why a client certificate gets no principal at all: it has several SPIFFE IDs, a URI SAN
/// with the `spiffe` scheme that is not a valid SPIFFE ID, or a subject alternative name
/// extension that does not parse.
///
/// Such a certificate is refused outright: it never falls back to its subject DN, and no
/// identity rule can give it a principal.
public struct InvalidIdentity: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, in one sentence that is safe to send to the caller and to log: it
    /// names only what the caller's own certificate says, with any quoted name escaped and
    /// shortened (`the client certificate has 2 SPIFFE IDs; exactly one is allowed`).
    public let reason: String
    /// The certificate's subject DN in RFC 4514 form, for logs and audit records; empty for
    /// an empty subject, or when the error does not come from a certificate
    /// (`SPIFFEID.init(parsing:)`).
    public let certificateSubject: String
    /// The certificate's subject alternative names, as `CallerIdentity.certificateSANs`
    /// lists them; empty when the extension does not parse.
    public let certificateSANs: [String]

    /// Creates an error from its parts; `IdentityResolver` and `SPIFFEID` are the usual sources.
    public init(reason: String, certificateSubject: String = "", certificateSANs: [String] = []) {
        self.reason = reason
        self.certificateSubject = certificateSubject
        self.certificateSANs = certificateSANs
    }

    /// The reason, followed by the certificate subject when there is one.
    public var description: String {
        certificateSubject.isEmpty ? reason : "\(reason) (certificate subject \(certificateSubject))"
    }
}
