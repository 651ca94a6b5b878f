import GRPCCore
import KMSProto

/// The standard `grpc.health.v1.Health` service. The server as a whole ("") and
/// `kms.v1.KeyManagementService` report SERVING while the server runs.
struct HealthService: Grpc_Health_V1_Health.SimpleServiceProtocol {
    static let servedNames: Set<String> = ["", "kms.v1.KeyManagementService"]

    func check(request: Grpc_Health_V1_HealthCheckRequest, context: ServerContext) async throws -> Grpc_Health_V1_HealthCheckResponse {
        guard Self.servedNames.contains(request.service) else {
            throw RPCError(code: .notFound, message: "unknown service '\(request.service)'")
        }
        return .with { $0.status = .serving }
    }

    func watch(
        request: Grpc_Health_V1_HealthCheckRequest,
        response: RPCWriter<Grpc_Health_V1_HealthCheckResponse>,
        context: ServerContext
    ) async throws {
        let status: Grpc_Health_V1_HealthCheckResponse.ServingStatus =
            Self.servedNames.contains(request.service) ? .serving : .serviceUnknown
        try await response.write(.with { $0.status = status })
        // The status never changes while the server runs: hold the stream open until
        // the client goes away or the server shuts down.
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(3600))
        }
    }
}
