import Foundation
import KMSTLS
import Logging
import Metrics
import Synchronization
import X509

/// Holds the TLS material in force and puts it together from its sources: the `tls:` files
/// and, when configured, the SPIFFE Workload API.
///
/// The Workload API's SVID is the server's credential when present; its bundles and the
/// configured `spiffe_trust_bundles` together bind trust domains (a trust domain named in
/// the configuration keeps its configured bundle). `client_ca` comes from its file; the
/// revocation lists of both sources are in force.
final class TLSMaterialStore: Sendable {
    private struct Sources {
        var files: TLSFileMaterial
        var workload: WorkloadMaterial?
        var current: TLSMaterial?
    }

    private let sources: Mutex<Sources>
    private let staleRevocationLists: ClientTrust.StaleRevocationListHandling

    /// A store with `files` in force (and no Workload API material yet).
    init(files: TLSFileMaterial, staleRevocationLists: ClientTrust.StaleRevocationListHandling) {
        self.staleRevocationLists = staleRevocationLists
        let current = Self.combine(files: files, workload: nil, staleRevocationLists: staleRevocationLists)
        self.sources = Mutex(Sources(files: files, workload: nil, current: current))
    }

    /// The material in force; `nil` until a server credential is known (the Workload API
    /// has not answered yet).
    var current: TLSMaterial? {
        sources.withLock { $0.current }
    }

    /// Puts new file material in force.
    func install(files: TLSFileMaterial) {
        sources.withLock { sources in
            sources.files = files
            sources.current = Self.combine(files: files, workload: sources.workload, staleRevocationLists: staleRevocationLists)
        }
    }

    /// Puts new Workload API material in force.
    func install(workload: WorkloadMaterial) {
        sources.withLock { sources in
            sources.workload = workload
            sources.current = Self.combine(files: sources.files, workload: workload, staleRevocationLists: staleRevocationLists)
        }
    }

    /// Waits until material is in force, logging every few seconds while it is not.
    func waitForMaterial(logger: Logger) async throws -> TLSMaterial {
        var waited = Duration.zero
        while true {
            if let current { return current }
            try await Task.sleep(for: .milliseconds(50))
            waited += .milliseconds(50)
            if waited.components.seconds % 5 == 0, waited.components.attoseconds == 0 {
                logger.warning("waiting for the SPIFFE Workload API to deliver the server's X.509-SVID")
            }
        }
    }

    /// `kms_tls_certificate_expiry_timestamp_seconds{role}`: when the server certificate in
    /// force expires, and when the first client CA certificate does.
    private static func recordExpiry(server: ServerCredential, anchors: [Certificate]) {
        let label = "kms_tls_certificate_expiry_timestamp_seconds"
        Gauge(label: label, dimensions: [("role", "server")]).record(server.leaf.notValidAfter.timeIntervalSince1970)
        if let first = anchors.map(\.notValidAfter).min() {
            Gauge(label: label, dimensions: [("role", "client_ca")]).record(first.timeIntervalSince1970)
        }
    }

    private static func combine(
        files: TLSFileMaterial,
        workload: WorkloadMaterial?,
        staleRevocationLists: ClientTrust.StaleRevocationListHandling
    ) -> TLSMaterial? {
        guard let credential = workload?.credential ?? files.credential else { return nil }
        let bundles = (workload?.trustDomainBundles ?? [:]).merging(files.trustDomainBundles) { _, configured in configured }
        let trust = ClientTrust(
            clientCA: files.clientCA,
            trustDomainBundles: bundles,
            revocationLists: files.revocationLists + (workload?.revocationLists ?? []),
            staleRevocationLists: staleRevocationLists
        )
        recordExpiry(server: credential, anchors: trust.allAnchors)
        return TLSMaterial(credential: credential, verifier: ClientCertificateVerifier(trust: trust))
    }
}
