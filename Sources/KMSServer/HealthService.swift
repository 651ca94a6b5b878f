import GRPCCore
import KMSAudit
import KMSProto
import KMSService

/// The standard `grpc.health.v1.Health` service. The server as a whole ("") and
/// `kms.v1.KeyManagementService` report SERVING while KMS calls can be served, and
/// NOT_SERVING from the moment a shutdown begins, while the audit log cannot be written
/// (calls then fail with `AUDIT_UNAVAILABLE`) or while the node cannot confirm it is
/// current with a shared key store (`STORE_UNAVAILABLE`). `Watch` streams end with a last
/// NOT_SERVING when the server shuts down. A check while the log is failing probes it, so the status
/// comes back by itself when writing works again, even with no KMS calls arriving.
struct HealthService: Grpc_Health_V1_Health.SimpleServiceProtocol {
    static let servedNames: Set<String> = ["", "kms.v1.KeyManagementService"]
    /// How often `Watch` re-checks the status.
    static let watchInterval = Duration.seconds(1)

    let auditLog: AuditLog
    let freshness: StoreFreshness
    let serving: ServingState

    func check(request: Grpc_Health_V1_HealthCheckRequest, context: ServerContext) async throws -> Grpc_Health_V1_HealthCheckResponse {
        guard Self.servedNames.contains(request.service) else {
            throw RPCError(code: .notFound, message: "unknown service '\(request.service)'")
        }
        let status = Grpc_Health_V1_HealthCheckResponse.ServingStatus(await currentStatus())
        return .with { $0.status = status }
    }

    func watch(
        request: Grpc_Health_V1_HealthCheckRequest,
        response: RPCWriter<Grpc_Health_V1_HealthCheckResponse>,
        context: ServerContext
    ) async throws {
        guard Self.servedNames.contains(request.service) else {
            try await response.write(.with { $0.status = .serviceUnknown })
            while !Task.isCancelled { try await Task.sleep(for: .seconds(3600)) }
            return
        }
        var sent: Grpc_Health_V1_HealthCheckResponse.ServingStatus?
        while !Task.isCancelled {
            let status = Grpc_Health_V1_HealthCheckResponse.ServingStatus(await currentStatus())
            if status != sent {
                try await response.write(.with { $0.status = status })
                sent = status
            }
            if serving.isStopping { return }
            try await Task.sleep(for: Self.watchInterval)
        }
    }

    /// Whether KMS calls can be served now: the store is current and the audit log is writable.
    private func currentStatus() async -> Bool {
        guard !serving.isStopping, freshness.isFresh else { return false }
        do {
            try await auditLog.ensureAvailable()
            return true
        } catch {
            return false
        }
    }
}

extension Grpc_Health_V1_HealthCheckResponse.ServingStatus {
    init(_ serving: Bool) {
        self = serving ? .serving : .notServing
    }
}
