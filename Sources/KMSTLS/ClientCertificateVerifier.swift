import Foundation
import KMSIdentity
import X509

/// Decides whether a client certificate chain, as presented in a TLS handshake (or
/// forwarded by a trusted proxy), is trusted.
///
/// The leaf must chain to the right anchors (see `anchors(for:)`), every certificate must
/// be valid at the time of the check (RFC 5280: not expired, not yet valid certificates are
/// refused), the leaf's extended key usage, when present, must allow client authentication,
/// and no certificate of the chain may be listed by a revocation list of its issuer.
public struct ClientCertificateVerifier: Sendable {
    /// The anchors and revocation lists.
    public let trust: ClientTrust
    private let revocation: RevocationIndex

    /// A verifier for `trust`.
    public init(trust: ClientTrust) {
        self.trust = trust
        self.revocation = RevocationIndex(trust.revocationLists)
    }

    /// The verdict on `chain` (leaf first, as the client sent it) at `time`.
    public func verify(_ chain: [Certificate], at time: Date) async -> ClientCertificateVerdict {
        guard let leaf = chain.first else { return .refused("the client sent no certificate") }
        let anchors: [Certificate]
        switch self.anchors(for: leaf) {
        case .success(let found): anchors = found
        case .failure(let refusal): return .refused(refusal.reason)
        }
        let revocation = self.revocation
        let staleness = trust.staleRevocationLists
        var verifier = Verifier(rootCertificates: CertificateStore(anchors)) {
            RFC5280Policy(validationTime: time)
            ClientAuthenticationUsagePolicy()
            RevocationPolicy(index: revocation, time: time, staleLists: staleness)
        }
        switch await verifier.validate(leaf: leaf, intermediates: CertificateStore(chain.dropFirst())) {
        case .validCertificate(let validated):
            return .trusted(Array(validated))
        case .couldNotValidate(let failures):
            guard let failure = failures.first else {
                return .refused("the certificate does not chain to a trusted CA for it")
            }
            return .refused(String(describing: failure.policyFailureReason))
        }
    }

    /// Where `leaf` must chain: its trust domain's bundle when it claims a SPIFFE ID and
    /// trust-domain bundles are configured, `clientCA` otherwise. A certificate whose SPIFFE
    /// ID claim is invalid chains to `clientCA`; the identity layer refuses its calls.
    public func anchors(for leaf: Certificate) -> Result<[Certificate], ClientCertificateRefusal> {
        let claimed = try? SPIFFEID.claimed(by: leaf)
        if let claimed, !trust.trustDomainBundles.isEmpty {
            guard let bundle = trust.trustDomainBundles[claimed.trustDomain], !bundle.isEmpty else {
                return .failure(.init(reason: "no trust bundle for the SPIFFE trust domain '\(claimed.trustDomain)' of \(claimed)"))
            }
            return .success(bundle)
        }
        guard !trust.clientCA.isEmpty else {
            return .failure(.init(reason: "certificates without a SPIFFE ID are not accepted (no tls.client_ca)"))
        }
        return .success(trust.clientCA)
    }
}

/// Why a client certificate is refused, for the server's log.
public struct ClientCertificateRefusal: Error, Sendable, Equatable {
    /// What is wrong, naming the rule the chain breaks.
    public let reason: String
}

/// The outcome of `ClientCertificateVerifier.verify`.
public enum ClientCertificateVerdict: Sendable, Equatable {
    /// The chain is trusted; the associated value is the validated chain, leaf to anchor.
    case trusted([Certificate])
    /// The chain is refused, for the reason given.
    case refused(String)
}
