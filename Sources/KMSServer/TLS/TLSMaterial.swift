import KMSTLS
import KMSWorkloadAPI
import X509

/// The certificate material in force on the listener: the server's credential and the
/// verifier of client certificates. Replaced whole when files change or the Workload API
/// rotates; a handshake uses the material in force when it starts.
struct TLSMaterial: Sendable {
    let credential: ServerCredential
    let verifier: ClientCertificateVerifier
}

/// The parts of the material that come from the Workload API: the server's X.509-SVID,
/// the trust bundles of its own and federated trust domains, and the agent's revocation
/// lists.
struct WorkloadMaterial: Sendable {
    let credential: ServerCredential
    let trustDomainBundles: [String: [Certificate]]
    let revocationLists: [CertificateRevocationList]

    /// The material of a Workload API update.
    ///
    /// - Throws: `TLSMaterialError` when BoringSSL refuses the SVID or a revocation list
    ///   does not parse.
    init(_ update: X509Update) throws(TLSMaterialError) {
        let source = "the Workload API's X.509-SVID \(update.spiffeID)"
        let key = update.privateKey.withPKCS8DERBytes { EncodedPrivateKey.der($0) }
        credential = try ServerCredential(chain: update.certificateChain, privateKey: key, source: source)
        trustDomainBundles = update.bundles
        do {
            revocationLists = try update.revocationListsDER.map { try CertificateRevocationList(derEncoded: $0) }
        } catch {
            throw TLSMaterialError("\(source): a revocation list does not parse: \(error)")
        }
    }
}
