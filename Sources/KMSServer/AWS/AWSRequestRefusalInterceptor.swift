import GRPCCore
import KMSCore

/// Innermost on the in-process server behind the AWS endpoint: a request the endpoint could
/// not read (a field of the wrong type, one this server does not support, a key ARN of
/// another account) arrives with the endpoint's error in its metadata and fails with it
/// here, after the caller was identified, its quota charged and its audit record begun, so
/// the refusal is recorded like any other failed call. Only in-process callers reach this
/// server; the gRPC listener does not have this interceptor.
struct AWSRequestRefusalInterceptor: ServerInterceptor {
    static let reasonKey = "kms-aws-compat-refusal-reason"
    static let messageKey = "kms-aws-compat-refusal-message"

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        guard let reason = request.metadata[stringValues: Self.reasonKey].first(where: { _ in true }) else {
            return try await next(request, context)
        }
        let code = KMSError.Code.all.first { $0.reason == reason } ?? .validation
        let message = request.metadata[stringValues: Self.messageKey].first(where: { _ in true }) ?? "the request was refused"
        CurrentCall.audit?.noteError(code)
        throw RPCError(ErrorMapping.status(for: KMSError(code, message)))
    }
}
