import GRPCCore
import KMSCore
import Metrics

/// Counts and times every `kms.v1` call for the metrics endpoint:
/// `kms_requests_total{method, code, reason}` and `kms_request_duration_seconds{method}`.
/// Labels hold only the method's name, the gRPC code's name and the `ErrorInfo` reason: no
/// key id, principal or other value a caller chooses.
struct RequestMetricsInterceptor: ServerInterceptor {
    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let method = context.descriptor.method
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            Self.record(method: method, failure: response.accepted.failure, since: started)
            return response
        } catch {
            Self.record(method: method, failure: RPCError(converting: error), since: started)
            throw error
        }
    }

    private static func record(method: String, failure: RPCError?, since started: ContinuousClock.Instant) {
        Metrics.Timer(label: "kms_request_duration_seconds", dimensions: [("method", method)], preferredDisplayUnit: .seconds)
            .record(duration: ContinuousClock.now - started)
        let code = failure.map { StatusCodeName.of($0.code.rawValue) } ?? "OK"
        let reason = failure.map(Self.reason) ?? ""
        Counter(label: "kms_requests_total", dimensions: [("method", method), ("code", code), ("reason", reason)]).increment()
    }

    /// The `ErrorInfo` reason of a failure; the code's name when it carries none.
    private static func reason(of error: RPCError) -> String {
        if let status = try? error.unpackGoogleRPCStatus(),
           let info = status.details.lazy.compactMap(\.errorInfo).first {
            return info.reason
        }
        return ErrorMapping.reason(of: error)
    }
}

extension Result {
    /// The error of a failure; `nil` for a success.
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
