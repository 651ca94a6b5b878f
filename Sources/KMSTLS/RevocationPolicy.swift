import Foundation
import SwiftASN1
import X509

/// The revocation lists in force, by issuer name.
struct RevocationIndex: Sendable {
    private let listsByIssuer: [DistinguishedName: [CertificateRevocationList]]

    init(_ lists: [CertificateRevocationList]) {
        listsByIssuer = Dictionary(grouping: lists, by: \.issuer)
    }

    /// The lists that `issuer` signed and that cover the certificates it issued.
    func lists(issuedBy issuer: Certificate) -> [CertificateRevocationList] {
        (listsByIssuer[issuer.subject] ?? []).filter { $0.isSigned(by: issuer) }
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
