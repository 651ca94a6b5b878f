import KMSWorkloadAPI
import Logging

/// Keeps the server's X.509-SVID and trust bundles current from the SPIFFE Workload API:
/// every update the client accepts goes into the TLS material store, so new handshakes use
/// the rotated SVID; an update BoringSSL refuses is logged and the material in force stays.
struct WorkloadAPIFollower: Sendable {
    let client: WorkloadAPIClient
    let store: TLSMaterialStore
    let logger: Logger

    /// Follows the Workload API until cancelled.
    ///
    /// - Throws: `StartupError` when the client cannot be set up at all (connection and
    ///   stream failures are retried, never thrown), so that `kmsd` stops instead of
    ///   waiting for an SVID that cannot come.
    func run() async throws {
        do {
            try await client.run { update in
                do {
                    store.install(workload: try WorkloadMaterial(update))
                } catch {
                    logger.error("refused the Workload API's new X.509 material; the material in force stays in force", metadata: [
                        "error": "\(error)",
                    ])
                }
            }
        } catch {
            throw StartupError("cannot follow the SPIFFE Workload API at \(client.endpoint): \(error)")
        }
    }
}
