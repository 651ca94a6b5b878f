import Foundation
import Synchronization
import SwiftASN1
import X509

/// The revocation lists in force, by issuer name, with the signature checks remembered:
/// a list's signature is verified once per issuer certificate, not at every handshake.
final class RevocationIndex: Sendable {
    /// Issuer certificates whose checks are remembered at most (a client may present any
    /// number of intermediates under a CA's name).
    static let rememberedIssuers = 1024

    private let listsByIssuer: [DistinguishedName: [CertificateRevocationList]]
    private let signedBy = Mutex<[Certificate: [CertificateRevocationList]]>([:])

    init(_ lists: [CertificateRevocationList]) {
        listsByIssuer = Dictionary(grouping: lists, by: \.issuer)
    }

    /// The lists that `issuer` signed and that cover the certificates it issued.
    func lists(issuedBy issuer: Certificate) -> [CertificateRevocationList] {
        guard let named = listsByIssuer[issuer.subject] else { return [] }
        if let known = signedBy.withLock({ $0[issuer] }) { return known }
        let signed = named.filter { $0.isSigned(by: issuer) }
        signedBy.withLock { remembered in
            if remembered.count < Self.rememberedIssuers { remembered[issuer] = signed }
        }
        return signed
    }
}

/// Refuses a chain in which a certificate is listed by a revocation list that its issuer
/// signed, and, unless stale lists are accepted, a chain covered by a list past its
/// `nextUpdate`. A list whose signature does not verify is ignored. Issuers without a list
/// revoke nothing.
struct RevocationPolicy: VerifierPolicy {
    let index: RevocationIndex
    let time: Date
    let staleLists: ClientTrust.StaleRevocationListHandling
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = []

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        var position = chain.startIndex
        while position + 1 < chain.endIndex {
            let certificate = chain[position]
            let issuer = chain[position + 1]
            for list in index.lists(issuedBy: issuer) {
                if list.lists(certificate.serialNumber) {
                    return .failsToMeetPolicy(
                        reason: "the certificate \(certificate.serialNumber) issued by \(issuer.subject) is revoked"
                    )
                }
                if staleLists == .refuse, let nextUpdate = list.nextUpdate, nextUpdate < time {
                    return .failsToMeetPolicy(
                        reason: "the revocation list of \(issuer.subject) expired at \(nextUpdate) (tls.stale_crl: refuse)"
                    )
                }
            }
            position += 1
        }
        return .meetsPolicy
    }
}
