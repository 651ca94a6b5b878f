import GRPCCore
import GRPCProtobuf
import KMSCore

/// The one place where `KMSError` becomes a gRPC status with a `google.rpc.ErrorInfo`
/// detail (domain `kms`, reason = the error code).
enum ErrorMapping {
    /// The `ErrorInfo.domain` of every error the server returns.
    static let domain = "kms"

    /// The gRPC status code of each error code.
    static func statusCode(of code: KMSError.Code) -> RPCError.Code {
        switch code {
        case .keyNotFound, .aliasNotFound, .keyVersionNotFound, .grantNotFound: .notFound
        case .alreadyExists: .alreadyExists
        case .keyDisabled, .keyPendingDeletion, .keyDestroyed, .keyVersionDisabled, .invalidState, .unsupportedOperation: .failedPrecondition
        case .invalidCiphertext, .incorrectKey, .invalidKeyUsage, .validation, .malformedPolicy: .invalidArgument
        case .accessDenied: .permissionDenied
        case .limitExceeded, .throttled: .resourceExhausted
        case .auditUnavailable, .storeUnavailable: .unavailable
        case .invalidIdentity: .unauthenticated
        default: .internalError
        }
    }

    /// The status of `error`; with `retryAfter`, also a `google.rpc.RetryInfo` detail with
    /// that delay (THROTTLED: the time until the caller's quota admits the call).
    static func status(for error: KMSError, retryAfter: Duration? = nil) -> GoogleRPCStatus {
        GoogleRPCStatus(
            code: statusCode(of: error.code),
            message: error.message,
            details: [.errorInfo(reason: error.code.reason, domain: domain)] + (retryAfter.map { [.retryInfo(delay: $0)] } ?? [])
        )
    }

    /// The reason of a status the server did not build from a `KMSError` (the transport's
    /// own refusals): the gRPC code's name, such as `RESOURCE_EXHAUSTED`.
    static func reason(of error: RPCError) -> String {
        StatusCodeName.of(error.code.rawValue)
    }
}
