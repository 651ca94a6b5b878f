import GRPCCore
import KMSCore
import NIOHTTP1

/// The one place where a failed call becomes AWS's error: an HTTP status and the exception
/// name in `__type`. The table is by `ErrorInfo` reason (docs/ERRORS.md), as AWS names the
/// same failures; a few reasons have the name AWS gives them in one operation.
enum AWSErrorMapping {
    /// An AWS error: its HTTP status and exception name.
    struct Exception: Equatable, Sendable {
        let status: HTTPResponseStatus
        let type: String

        static func client(_ type: String) -> Exception { Exception(status: .badRequest, type: type) }
    }

    /// The exception of a failed call of `operation`.
    static func exception(for failure: AWSCallFailure, operation: String) -> Exception {
        if let name = failure.exceptionName {
            return .client(name)
        }
        if let reason = failure.reason {
            return exception(forReason: reason, operation: operation)
        }
        // The transport's own refusals carry no ErrorInfo.
        switch failure.grpcCode {
        case .unavailable?: return Exception(status: .serviceUnavailable, type: "DependencyTimeoutException")
        case .resourceExhausted?: return .client("LimitExceededException")
        case .unauthenticated?: return .client("UnrecognizedClientException")
        default: return Exception(status: .internalServerError, type: "KMSInternalException")
        }
    }

    /// The exception of the `ErrorInfo` reason `reason` in `operation`.
    static func exception(forReason reason: String, operation: String) -> Exception {
        switch reason {
        case KMSError.Code.keyNotFound.reason, KMSError.Code.aliasNotFound.reason, KMSError.Code.keyVersionNotFound.reason:
            return .client("NotFoundException")
        case KMSError.Code.grantNotFound.reason:
            // AWS names an unknown grant by the field that named it.
            return .client(grantNotFoundTypes[operation] ?? "NotFoundException")
        case KMSError.Code.keyDisabled.reason:
            return .client("DisabledException")
        case KMSError.Code.keyPendingDeletion.reason, KMSError.Code.keyDestroyed.reason, KMSError.Code.keyVersionDisabled.reason,
             KMSError.Code.invalidState.reason:
            return .client("KMSInvalidStateException")
        case KMSError.Code.invalidCiphertext.reason: return .client("InvalidCiphertextException")
        case KMSError.Code.incorrectKey.reason: return .client("IncorrectKeyException")
        case KMSError.Code.invalidKeyUsage.reason: return .client("InvalidKeyUsageException")
        case KMSError.Code.accessDenied.reason: return .client("AccessDeniedException")
        case KMSError.Code.validation.reason: return .client("ValidationException")
        case KMSError.Code.malformedPolicy.reason: return .client("MalformedPolicyDocumentException")
        case KMSError.Code.limitExceeded.reason: return .client("LimitExceededException")
        case KMSError.Code.alreadyExists.reason: return .client("AlreadyExistsException")
        case KMSError.Code.unsupportedOperation.reason: return .client("UnsupportedOperationException")
        case KMSError.Code.throttled.reason: return .client("ThrottlingException")
        case KMSError.Code.invalidIdentity.reason: return .client("UnrecognizedClientException")
        case KMSError.Code.auditUnavailable.reason, KMSError.Code.storeUnavailable.reason:
            return Exception(status: .serviceUnavailable, type: "DependencyTimeoutException")
        case invalidSignature: return .client("KMSInvalidSignatureException")
        case invalidMac: return .client("KMSInvalidMacException")
        default: return Exception(status: .internalServerError, type: "KMSInternalException")
        }
    }

    /// The reason the endpoint gives a Verify whose signature does not verify (the RPC
    /// answers `signature_valid: false`; AWS answers an error).
    static let invalidSignature = "AWS_INVALID_SIGNATURE"
    /// The reason the endpoint gives a VerifyMac whose MAC does not verify.
    static let invalidMac = "AWS_INVALID_MAC"

    /// What AWS calls an unknown grant, by operation.
    private static let grantNotFoundTypes = [
        "RevokeGrant": "InvalidGrantIdException",
        "RetireGrant": "InvalidGrantIdException",
        "ListGrants": "InvalidGrantIdException",
    ]
}
