import Foundation
import GRPCCore
import GRPCProtobuf
import KMSCore
import KMSProto
import NIOSSL
import SwiftProtobuf

/// One failure, classified: what the command-line tools print about it (a line for people,
/// or a JSON object) and the exit status it gives.
///
/// A failed call keeps its gRPC code, the `google.rpc.ErrorInfo` reason and the
/// `x-request-id` the server sent; a failure of the tool itself has the code `LOCAL`, a bad
/// command line `USAGE`. Messages never contain plaintext or key material: the server's
/// never do (docs/ERRORS.md) and the tools' name files and fields, not their contents.
public struct FailureSummary: Sendable, Equatable {
    /// The `code` of a failure of the tool itself, before or after any call.
    public static let localCode = "LOCAL"
    /// The `code` of a command line that does not parse or validate.
    public static let usageCode = "USAGE"
    /// The response metadata entry that names the call's audit record.
    public static let requestIDKey = "x-request-id"

    /// The gRPC status name (`NOT_FOUND`), `LOCAL` or `USAGE`.
    public var code: String
    /// The `google.rpc.ErrorInfo` reason (`KEY_NOT_FOUND`), when there is one.
    public var reason: String?
    /// What went wrong.
    public var message: String
    /// The server's `x-request-id` for the call, when it sent one.
    public var requestID: String?
    /// What lies beneath a failure below the service (a refused connection, a TLS alert).
    public var cause: String?
    /// The exit status the failure gives.
    public var exitStatus: ExitStatus

    public init(code: String, reason: String? = nil, message: String, requestID: String? = nil, cause: String? = nil, exitStatus: ExitStatus) {
        self.code = code
        self.reason = reason
        self.message = message
        self.requestID = requestID
        self.cause = cause
        self.exitStatus = exitStatus
    }

    /// A usage error: the command line does not parse or validate.
    public static func usage(_ message: String) -> FailureSummary {
        FailureSummary(code: usageCode, message: message, exitStatus: .usage)
    }

    /// A failure of the tool itself: `reason` names its kind where one applies.
    public static func local(_ message: String, reason: String? = nil, exitStatus: ExitStatus = .failure) -> FailureSummary {
        FailureSummary(code: localCode, reason: reason, message: message, exitStatus: exitStatus)
    }

    /// Classifies any error a command can end with.
    public init(_ error: any Error) {
        switch error {
        case let rpc as RPCError:
            self.init(rpc)
        case let setup as ConnectionSetupError:
            self = .local(setup.message, exitStatus: .connectionSetup)
            cause = setup.cause.map { "\($0)" }
        case let options as ConnectionOptionsError:
            self = .usage(options.message)
        case let kms as KMSError:
            self = .local(kms.message, reason: kms.code.reason)
        case let envelope as EnvelopeFileError:
            self = .local(envelope.message)
        case let runtime as RuntimeError:
            self = .local(runtime.message, exitStatus: .connectionSetup)
            cause = runtime.cause.map { "\($0)" }
        default:
            self = .local("\(error)")
        }
    }

    /// A failed call: its status, the reason of its `ErrorInfo` detail and its request id.
    public init(_ error: RPCError) {
        let status = (try? error.unpackGoogleRPCStatus()) ?? nil
        let reason = status?.details.compactMap(\.errorInfo).first?.reason
        let requestID = error.metadata[stringValues: Self.requestIDKey].first(where: { _ in true })
        let cause: String? = reason == nil ? error.cause.map { "\($0)" } : nil
        self.init(
            code: error.code.canonicalName,
            reason: reason,
            message: error.message,
            requestID: requestID,
            cause: cause,
            exitStatus: Self.exitStatus(code: error.code, reason: reason, cause: error.cause)
        )
    }

    /// A failed item of a batch call: the status it failed with, in the call whose request
    /// id is `requestID`.
    public init(itemStatus status: Google_Rpc_Status, requestID: String?) {
        let code = RPCError.Code(Status.Code(rawValue: Int(status.code)) ?? .unknown) ?? .unknown
        let bytes: [UInt8] = (try? status.serializedBytes()) ?? []
        let details = (try? GoogleRPCStatus(serializedBytes: bytes))?.details ?? []
        let reason = details.compactMap(\.errorInfo).first?.reason
        self.init(
            code: status.code == 0 ? RPCError.Code.unknown.canonicalName : code.canonicalName,
            reason: reason,
            message: status.code == 0 ? "the result holds neither a response nor an error" : status.message,
            requestID: requestID,
            exitStatus: Self.exitStatus(code: code, reason: reason, cause: nil)
        )
    }

    /// The exit status of a failed call.
    ///
    /// UNAVAILABLE, DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED are worth retrying, except a
    /// TLS handshake failure (`cause` a TLS error: the credentials must change) and
    /// `LIMIT_EXCEEDED` (the same request is too large again). Everything else is a refusal.
    public static func exitStatus(code: RPCError.Code, reason: String?, cause: (any Error)?) -> ExitStatus {
        switch code {
        case .unavailable:
            return isTLSFailure(cause) ? .connectionSetup : .retryable
        case .deadlineExceeded:
            return .retryable
        case .resourceExhausted:
            return reason == KMSError.Code.limitExceeded.reason ? .failure : .retryable
        default:
            return .failure
        }
    }

    /// Whether `error`, or an error it wraps, is a TLS failure that the same credentials
    /// would meet again: a failed handshake, a certificate that does not verify or does not
    /// load, a host name that does not match. A connection that ended uncleanly is not one.
    public static func isTLSFailure(_ error: (any Error)?) -> Bool {
        var next = error
        for _ in 0..<8 {
            switch next {
            case let tls as NIOSSLError:
                switch tls {
                case .handshakeFailed, .unableToValidateCertificate, .noCertificateToValidate, .cannotMatchULabel,
                    .failedToLoadCertificate, .failedToLoadPrivateKey, .noSuchFilesystemObject:
                    return true
                default:
                    return false
                }
            case let boringSSL as BoringSSLError:
                if case .sslError = boringSSL { return true }
                return false
            case is NIOSSLExtraError:
                return true
            case let rpc as RPCError:
                next = rpc.cause
            case let runtime as RuntimeError:
                next = runtime.cause
            default:
                return false
            }
        }
        return false
    }

    /// The failure for people, without the program's name: `<REASON> (<CODE>): <message>`
    /// when there is a reason, `<CODE>: <message> (cause: …)` for a failed call without
    /// one, else the message (with its cause, if any).
    public var text: String {
        if code == Self.localCode || code == Self.usageCode {
            let head = reason.map { "\($0): \(message)" } ?? message
            return cause.map { "\(head) (cause: \($0))" } ?? head
        }
        if let reason { return "\(reason) (\(code)): \(message)" }
        return cause.map { "\(code): \(message) (cause: \($0))" } ?? "\(code): \(message)"
    }

    /// The failure as one JSON object: `code`, `reason`, `message` and `request_id`, in that
    /// order and always present (`null` when empty), then `cause` when there is one.
    public var jsonObject: String {
        var fields: [(String, JSONLine.Value)] = [
            ("code", .string(code)),
            ("reason", .optionalString(reason)),
            ("message", .string(message)),
            ("request_id", .optionalString(requestID)),
        ]
        if let cause { fields.append(("cause", .string(cause))) }
        return JSONLine.object(fields)
    }
}
