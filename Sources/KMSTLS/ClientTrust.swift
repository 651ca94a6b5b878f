import X509

/// What client certificates are verified against: the CA bundle for certificates without a
/// SPIFFE ID, one bundle per SPIFFE trust domain, and the revocation lists in force.
public struct ClientTrust: Sendable {
    /// What to do when a revocation list that covers a certificate is past its `nextUpdate`.
    public enum StaleRevocationListHandling: String, Sendable, CaseIterable {
        /// Refuse every certificate the list covers until a fresh list is loaded (the
        /// default, as OpenSSL and nginx do): a CA that stopped publishing is not trusted
        /// to have revoked nothing.
        case refuse
        /// Keep using the stale list: its entries stay revoked, everything else is accepted.
        case accept
    }

    /// The CAs that certificates without a SPIFFE ID must chain to (`tls.client_ca`); when
    /// there are no trust-domain bundles, certificates with one too.
    public var clientCA: [Certificate]
    /// Trust domain → the CAs that certificates with a SPIFFE ID in that trust domain must
    /// chain to (`tls.spiffe_trust_bundles`, or the Workload API's bundles). When it is not
    /// empty, a SPIFFE ID from a trust domain that is not listed is refused.
    public var trustDomainBundles: [String: [Certificate]]
    /// The revocation lists in force (`tls.crl_files`).
    public var revocationLists: [CertificateRevocationList]
    /// What a stale revocation list means.
    public var staleRevocationLists: StaleRevocationListHandling

    /// Trust in `clientCA` and `trustDomainBundles`, with `revocationLists` checked.
    public init(
        clientCA: [Certificate],
        trustDomainBundles: [String: [Certificate]] = [:],
        revocationLists: [CertificateRevocationList] = [],
        staleRevocationLists: StaleRevocationListHandling = .refuse
    ) {
        self.clientCA = clientCA
        self.trustDomainBundles = trustDomainBundles
        self.revocationLists = revocationLists
        self.staleRevocationLists = staleRevocationLists
    }

    /// Every CA certificate trusted for some client.
    public var allAnchors: [Certificate] {
        clientCA + trustDomainBundles.keys.sorted().flatMap { trustDomainBundles[$0] ?? [] }
    }
}
