import GRPCCore
import KMSAudit
import KMSCore
import KMSProto
import KMSService

/// The `kms.v1.KeyManagementService` gRPC service: decodes each request, calls
/// `KeyManagementService`, encodes the result. No crypto or storage happens here.
/// Handlers live in one file per RPC group (`KeyManagementGRPCService+*.swift`).
struct KeyManagementGRPCService: Kms_V1_KeyManagementService.SimpleServiceProtocol {
    let service: KeyManagementService
    let auditLog: AuditLog

    /// Runs one handler body with the caller's context and maps `KMSError` to a gRPC
    /// status with an `ErrorInfo` detail, noting the error for the audit record.
    func handle<Response>(_ body: (RequestContext) async throws(KMSError) -> Response) async throws -> Response {
        let context = try CurrentCall.requestContext()
        do {
            return try await body(context)
        } catch {
            context.audit.noteError(error.code)
            throw ErrorMapping.status(for: error)
        }
    }
}
