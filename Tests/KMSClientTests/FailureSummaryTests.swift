import Foundation
import GRPCCore
import GRPCProtobuf
import KMSClient
import KMSCore
import KMSProto
import NIOSSL
import Testing

/// Failures classified for reports and exit statuses: one table, tested over every case.
@Suite struct FailureSummaryTests {
    /// A failed call as the server sends it: a status with an `ErrorInfo` and `x-request-id`.
    private static func refusal(_ code: RPCError.Code, reason: String?, message: String = "m", requestID: String? = "req-1") -> RPCError {
        let details: [ErrorDetails] = reason.map { [.errorInfo(reason: $0, domain: "kms")] } ?? []
        var error = RPCError(GoogleRPCStatus(code: code, message: message, details: details))
        if let requestID { error.metadata.addString(requestID, forKey: "x-request-id") }
        return error
    }

    @Test(arguments: [
        (RPCError.Code.permissionDenied, "ACCESS_DENIED", KMSClient.ExitStatus.failure),
        (.notFound, "KEY_NOT_FOUND", .failure),
        (.invalidArgument, "VALIDATION", .failure),
        (.failedPrecondition, "KEY_DISABLED", .failure),
        (.unauthenticated, "INVALID_IDENTITY", .failure),
        (.internalError, "INTERNAL", .failure),
        (.alreadyExists, "ALREADY_EXISTS", .failure),
        (.resourceExhausted, "LIMIT_EXCEEDED", .failure),
        (.resourceExhausted, nil, .retryable),
        (.unavailable, "AUDIT_UNAVAILABLE", .retryable),
        (.unavailable, "STORE_UNAVAILABLE", .retryable),
        (.unavailable, nil, .retryable),
        (.deadlineExceeded, nil, .retryable),
        (.cancelled, nil, .failure),
        (.unknown, nil, .failure),
    ] as [(RPCError.Code, String?, KMSClient.ExitStatus)])
    func callFailuresMapToTheExitTable(code: RPCError.Code, reason: String?, status: KMSClient.ExitStatus) {
        let summary = FailureSummary(Self.refusal(code, reason: reason))
        #expect(summary.exitStatus == status)
        #expect(summary.code == code.canonicalName)
        #expect(summary.reason == reason)
        #expect(summary.requestID == "req-1")
    }

    @Test func exitStatusesAreTheDocumentedNumbers() {
        #expect(KMSClient.ExitStatus.allCases.map(\.rawValue) == [0, 1, 2, 3, 4, 64])
    }

    @Test(arguments: [
        NIOSSLError.handshakeFailed(.sslError([])),
        NIOSSLError.unableToValidateCertificate,
        NIOSSLError.failedToLoadCertificate,
    ] as [any Error] + [BoringSSLError.sslError([]), NIOSSLExtraError.failedToValidateHostname])
    func aTLSHandshakeFailureIsASetupFailure(cause: any Error) {
        let error = RPCError(code: .unavailable, message: "closed before the preface", cause: cause)
        #expect(FailureSummary(error).exitStatus == .connectionSetup)
        let wrapped = RPCError(code: .unavailable, message: "outer", cause: RPCError(code: .unavailable, message: "inner", cause: cause))
        #expect(FailureSummary(wrapped).exitStatus == .connectionSetup)
    }

    @Test(arguments: [NIOSSLError.uncleanShutdown, NIOSSLError.writeDuringTLSShutdown] as [any Error] + [BoringSSLError.zeroReturn, CancellationError()])
    func aConnectionThatEndedIsRetryable(cause: any Error) {
        #expect(FailureSummary(RPCError(code: .unavailable, message: "gone", cause: cause)).exitStatus == .retryable)
    }

    @Test func localFailuresAreClassified() {
        #expect(FailureSummary(ConnectionSetupError("cannot read the CA certificate 'x'")).exitStatus == .connectionSetup)
        #expect(FailureSummary(ConnectionSetupError("cannot read the CA certificate 'x'")).code == "LOCAL")
        #expect(FailureSummary(RuntimeError(code: .transportError, message: "no SSL context")).exitStatus == .connectionSetup)
        #expect(FailureSummary(ConnectionOptionsError("bad target")) == .usage("bad target"))
        #expect(FailureSummary(BatchInputError(line: 3, "plaintext is not base64")) == .local("input line 3: plaintext is not base64"))
        let policy = FailureSummary(KMSError(.malformedPolicy, "Statement[0]: Effect"))
        #expect(policy == .local("Statement[0]: Effect", reason: "MALFORMED_POLICY"))
        #expect(policy.text == "MALFORMED_POLICY: Statement[0]: Effect")
        #expect(FailureSummary(EnvelopeFileError(.truncated, "the file ends early")).text == "the file ends early")
    }

    @Test func aRefusalReadsAsBeforeForPeopleAndAsOneObjectForScripts() {
        let summary = FailureSummary(Self.refusal(.notFound, reason: "KEY_NOT_FOUND", message: "key \"x\" does not exist", requestID: "9f/2"))
        #expect(summary.text == "KEY_NOT_FOUND (NOT_FOUND): key \"x\" does not exist")
        #expect(summary.jsonObject == #"{"code":"NOT_FOUND","reason":"KEY_NOT_FOUND","message":"key \"x\" does not exist","request_id":"9f/2"}"#)
    }

    @Test func aTransportFailureHasItsCauseAndNulls() {
        let summary = FailureSummary(RPCError(code: .unavailable, message: "Could not connect.", cause: RuntimeError(code: .transportError, message: "refused")))
        #expect(summary.text == "UNAVAILABLE: Could not connect. (cause: transportError: \"refused\")")
        #expect(summary.jsonObject == #"{"code":"UNAVAILABLE","reason":null,"message":"Could not connect.","request_id":null,"cause":"transportError: \"refused\""}"#)
    }

    @Test func aFailedBatchItemKeepsItsReasonAndTheCallsRequestID() throws {
        let bytes: [UInt8] = try GoogleRPCStatus(code: .notFound, message: "key k does not exist", details: [.errorInfo(reason: "KEY_NOT_FOUND", domain: "kms")]).serializedBytes()
        let status = try Google_Rpc_Status(serializedBytes: bytes)
        let summary = FailureSummary(itemStatus: status, requestID: "call-7")
        #expect(summary == FailureSummary(code: "NOT_FOUND", reason: "KEY_NOT_FOUND", message: "key k does not exist", requestID: "call-7", exitStatus: .failure))
        let empty = FailureSummary(itemStatus: Google_Rpc_Status(), requestID: nil)
        #expect(empty.code == "UNKNOWN")
    }

    @Test func jsonStringsEscapeControlCharacters() throws {
        let summary = FailureSummary.local("a\nb\t\u{1}\\")
        #expect(summary.jsonObject == #"{"code":"LOCAL","reason":null,"message":"a\nb\t\u0001\\","request_id":null}"#)
        #expect(try JSONSerialization.jsonObject(with: Data(summary.jsonObject.utf8)) is [String: Any])
    }
}
