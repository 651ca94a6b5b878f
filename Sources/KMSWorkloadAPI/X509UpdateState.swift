import X509

/// What the two streams last delivered, merged into updates; no I/O.
///
/// An update needs an SVID, so bundles that arrive first are kept until one does. Bundles
/// from FetchX509Bundles win over those in the SVID response for the same trust domain:
/// they are the agent's full, newer view.
struct X509UpdateState: Sendable {
    private(set) var svid: ValidatedSVIDResponse?
    private(set) var bundles: ValidatedBundlesResponse?

    /// Takes a new SVID response; returns the update it makes.
    mutating func receive(_ svid: ValidatedSVIDResponse) -> X509Update {
        self.svid = svid
        return Self.merge(svid, bundles)
    }

    /// Takes a new bundles response; returns the update it makes, `nil` until an SVID arrived.
    mutating func receive(_ bundles: ValidatedBundlesResponse) -> X509Update? {
        self.bundles = bundles
        return svid.map { Self.merge($0, bundles) }
    }

    private static func merge(_ svid: ValidatedSVIDResponse, _ bundles: ValidatedBundlesResponse?) -> X509Update {
        var merged = svid.bundles
        var revocationLists = svid.revocationListsDER
        if let bundles {
            merged.merge(bundles.bundles) { _, newer in newer }
            revocationLists += bundles.revocationListsDER.filter { !revocationLists.contains($0) }
        }
        return X509Update(
            spiffeID: svid.spiffeID,
            trustDomain: svid.trustDomain,
            certificateChain: svid.certificateChain,
            privateKey: svid.privateKey,
            bundles: merged,
            revocationListsDER: revocationLists,
            hint: svid.hint
        )
    }
}
