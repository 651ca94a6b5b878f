import X509

/// The X.509 material the Workload API currently gives this workload: its default SVID
/// (the first in the agent's response, as the specification says), that SVID's private key,
/// and the trust bundles of every trust domain it should trust.
///
/// The client hands one out each time either stream delivers material that it accepts;
/// every value is complete and checked (see `WorkloadAPIClient`). Printing or reflecting
/// it never shows the private key.
public struct X509Update: Sendable {
    /// The SVID's SPIFFE ID, e.g. `spiffe://prod.example/ns/kms/sa/kmsd`.
    public let spiffeID: String
    /// The SVID's trust domain, e.g. `prod.example`.
    public let trustDomain: String
    /// The SVID's certificate chain, leaf first, then any intermediates; never empty.
    public let certificateChain: [Certificate]
    /// The leaf certificate's private key.
    public let privateKey: SVIDPrivateKey
    /// Trust domain name (`prod.example`, without `spiffe://`) → its CA certificates; never
    /// empty, each list non-empty. Holds the SVID's own trust domain.
    public let bundles: [String: [Certificate]]
    /// The certificate revocation lists the agent sent, DER, unparsed; usually empty.
    public let revocationListsDER: [[UInt8]]
    /// The operator's hint for this SVID (`internal`, `external`…), if any.
    public let hint: String?

    /// The SVID itself: the first certificate of the chain.
    public var leaf: Certificate { certificateChain[0] }

    init(
        spiffeID: String,
        trustDomain: String,
        certificateChain: [Certificate],
        privateKey: SVIDPrivateKey,
        bundles: [String: [Certificate]],
        revocationListsDER: [[UInt8]],
        hint: String?
    ) {
        self.spiffeID = spiffeID
        self.trustDomain = trustDomain
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.bundles = bundles
        self.revocationListsDER = revocationListsDER
        self.hint = hint
    }
}

extension X509Update: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        let bundleSizes = bundles.keys.sorted().map { "\($0): \(bundles[$0]?.count ?? 0)" }.joined(separator: ", ")
        return "X509Update(spiffeID: \(spiffeID), serial: \(leaf.serialNumber), notValidAfter: \(leaf.notValidAfter), "
            + "chain: \(certificateChain.count) certificates, bundles: [\(bundleSizes)], privateKey: redacted)"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "spiffeID": spiffeID,
                "certificateChain": certificateChain,
                "bundles": bundles,
                "revocationLists": revocationListsDER.count,
                "hint": hint as Any,
            ],
            displayStyle: .struct
        )
    }
}
