import Foundation
import SPIFFEWorkloadAPI
import X509

/// The default SVID of an `X509SVIDResponse`, checked, and the bundles that came with it.
struct ValidatedSVIDResponse: Sendable {
    let spiffeID: String
    let trustDomain: String
    let certificateChain: [Certificate]
    let privateKey: SVIDPrivateKey
    /// The SVID's own trust domain's bundle, then the federated ones, by trust domain name.
    let bundles: [String: [Certificate]]
    let revocationListsDER: [[UInt8]]
    let hint: String?

    /// Checks the first SVID of `response` and every bundle in it.
    ///
    /// - Throws: `WorkloadAPIError` (`invalidSVID`) when there is no SVID, its SPIFFE ID is
    ///   not one, its chain is empty or not DER certificates, its leaf does not carry the
    ///   SPIFFE ID, or its key does not parse or is not the leaf's; (`invalidBundle`) when
    ///   its bundle or a federated one is empty, not DER certificates, or keyed by something
    ///   that is not a trust domain.
    init(_ response: X509SVIDResponse) throws(WorkloadAPIError) {
        guard let svid = response.svids.first else {
            throw WorkloadAPIError(.invalidSVID, "the X.509-SVID response has no SVID")
        }
        guard let trustDomain = SPIFFEText.trustDomain(ofID: svid.spiffeID) else {
            throw WorkloadAPIError(.invalidSVID, "the SVID's SPIFFE ID '\(svid.spiffeID)' is not a SPIFFE ID")
        }
        let chain = try ConcatenatedDER.certificates(Array(svid.x509Svid), field: "the SVID's certificate chain", code: .invalidSVID)
        let leaf = chain[0]
        let leafIDs = try Self.spiffeIDs(of: leaf)
        guard leafIDs == [svid.spiffeID] else {
            throw WorkloadAPIError(
                .invalidSVID,
                "the SVID's leaf certificate (serial \(leaf.serialNumber)) must carry exactly the SPIFFE ID '\(svid.spiffeID)' as its URI SAN; it has \(leafIDs)"
            )
        }
        let privateKey = try SVIDPrivateKey(pkcs8DER: Array(svid.x509SvidKey))
        guard privateKey.key.publicKey == leaf.publicKey else {
            throw WorkloadAPIError(
                .invalidSVID,
                "the SVID's private key does not belong to its leaf certificate (serial \(leaf.serialNumber))"
            )
        }
        var bundles = try Self.bundles(response.federatedBundles, field: "federated bundle")
        bundles[trustDomain] = try ConcatenatedDER.certificates(
            Array(svid.bundle),
            field: "the bundle of the SVID's trust domain '\(trustDomain)'",
            code: .invalidBundle
        )
        self.spiffeID = svid.spiffeID
        self.trustDomain = trustDomain
        self.certificateChain = chain
        self.privateKey = privateKey
        self.bundles = bundles
        self.revocationListsDER = response.crl.map { Array($0) }
        self.hint = svid.hint.isEmpty ? nil : svid.hint
    }

    /// Parses a map of bundles keyed by trust domain (`spiffe://td` or `td`) into one keyed
    /// by trust domain name.
    static func bundles(_ encoded: [String: Data], field: String) throws(WorkloadAPIError) -> [String: [Certificate]] {
        var bundles: [String: [Certificate]] = [:]
        for key in encoded.keys.sorted() {
            guard let trustDomain = SPIFFEText.trustDomain(ofKey: key) else {
                throw WorkloadAPIError(.invalidBundle, "the \(field) key '\(key)' is not a trust domain")
            }
            guard bundles[trustDomain] == nil else {
                throw WorkloadAPIError(.invalidBundle, "the \(field)s name the trust domain '\(trustDomain)' twice")
            }
            bundles[trustDomain] = try ConcatenatedDER.certificates(
                Array(encoded[key] ?? Data()),
                field: "the \(field) of '\(trustDomain)'",
                code: .invalidBundle
            )
        }
        return bundles
    }

    /// The SPIFFE IDs among the URI SANs of `certificate`.
    private static func spiffeIDs(of certificate: Certificate) throws(WorkloadAPIError) -> [String] {
        let names: SubjectAlternativeNames?
        do {
            names = try certificate.extensions.subjectAlternativeNames
        } catch {
            throw WorkloadAPIError(.invalidSVID, "the SVID's leaf certificate has a malformed subject alternative name extension")
        }
        return (names.map(Array.init) ?? []).compactMap { name in
            guard case .uniformResourceIdentifier(let uri) = name, uri.lowercased().hasPrefix("spiffe://") else { return nil }
            return uri
        }
    }
}

/// The bundles of an `X509BundlesResponse`, checked.
struct ValidatedBundlesResponse: Sendable {
    /// Trust domain name → CA certificates; never empty.
    let bundles: [String: [Certificate]]
    let revocationListsDER: [[UInt8]]

    /// - Throws: `WorkloadAPIError` (`invalidBundle`) when there is no bundle, or one is
    ///   empty, not DER certificates, or keyed by something that is not a trust domain.
    init(_ response: X509BundlesResponse) throws(WorkloadAPIError) {
        guard !response.bundles.isEmpty else {
            throw WorkloadAPIError(.invalidBundle, "the X.509 bundles response has no bundle")
        }
        bundles = try ValidatedSVIDResponse.bundles(response.bundles, field: "bundle")
        revocationListsDER = response.crl.map { Array($0) }
    }
}

/// The SPIFFE ID and trust domain syntax, as far as this client needs it.
enum SPIFFEText {
    /// The trust domain of a SPIFFE ID (`spiffe://td/path` → `td`); `nil` when `id` is not one.
    static func trustDomain(ofID id: String) -> String? {
        let scheme = "spiffe://"
        guard id.hasPrefix(scheme) else { return nil }
        let rest = id.dropFirst(scheme.count)
        let domain = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(domain.count)
        guard isTrustDomain(domain), path.isEmpty || path.count > 1, !path.hasSuffix("/") else { return nil }
        return String(domain)
    }

    /// The trust domain a bundle key names: `spiffe://td` (as SPIRE sends it) or `td`.
    static func trustDomain(ofKey key: String) -> String? {
        let scheme = "spiffe://"
        let domain = key.hasPrefix(scheme) ? key.dropFirst(scheme.count) : Substring(key)
        return isTrustDomain(domain) ? String(domain) : nil
    }

    /// Whether `text` is a trust domain name: 1 to 255 of `a-z 0-9 . - _`.
    static func isTrustDomain(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.count <= 255
            && text.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            }
    }
}
