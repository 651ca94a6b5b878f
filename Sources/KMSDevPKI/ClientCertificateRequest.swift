import Foundation

/// What a client certificate from `DevCertificateAuthority.issueClient(_:)` should say.
public struct ClientCertificateRequest: Sendable, Equatable {
    /// The subject's common name (`CN`); must not be empty.
    public var commonName: String
    /// The subject's organization (`O`), if any.
    public var organization: String?
    /// SPIFFE IDs to put in the certificate as URI SANs; each must start with `spiffe://`.
    public var spiffeIDs: [String]
    /// DNS names to put in the certificate as DNS SANs.
    public var dnsNames: [String]
    /// The first instant the certificate is valid.
    public var notValidBefore: Date
    /// The last instant the certificate is valid; may be in the past to mint an expired certificate.
    public var notValidAfter: Date

    /// Creates a request; by default valid from an hour ago for a year.
    public init(
        commonName: String,
        organization: String? = nil,
        spiffeIDs: [String] = [],
        dnsNames: [String] = [],
        notValidBefore: Date = Date(timeIntervalSinceNow: -3600),
        notValidAfter: Date = Date(timeIntervalSinceNow: 365 * 86_400)
    ) {
        self.commonName = commonName
        self.organization = organization
        self.spiffeIDs = spiffeIDs
        self.dnsNames = dnsNames
        self.notValidBefore = notValidBefore
        self.notValidAfter = notValidAfter
    }
}
