import Foundation
import GRPCCore
import GRPCProtobuf
import KMSAudit
import KMSCore
import KMSService
import Logging

/// Writes one audit record for every `kms.v1` call, allowed, denied or failed, before its
/// response leaves, and returns the record's id to the caller as `x-request-id`.
///
/// The service notes keys, versions, alias, grant and encryption context in the call's
/// `AuditFacts` while it runs; `AuditRecordBuilder` makes the records from them. When the
/// log cannot be written the call fails with UNAVAILABLE / `AUDIT_UNAVAILABLE`: before it
/// runs if the log is already known to be failing (so nothing happens unrecorded), after
/// it ran if the failure is new. A call that changes stored state also leaves an intent
/// record before its change is committed (`AuditFacts.recordIntent`), so a crash between
/// the commit and the outcome record still leaves a record of the change.
struct AuditInterceptor: ServerInterceptor {
    static let requestIDKey = "x-request-id"

    let log: AuditLog
    let clock: @Sendable () -> Date
    let logger: Logger

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let builder = AuditRecordBuilder(
            log: log, requestID: UUID().uuidString.lowercased(), time: clock(), action: "kms:" + context.descriptor.method,
            principal: CurrentCall.identity?.principal.description ?? "", proxy: CurrentCall.proxy?.description,
            source: CurrentCall.sourceIP
        )
        do {
            try await log.ensureAvailable()
        } catch {
            logger.error("refused a call: the audit log cannot be written", metadata: [
                "request_id": "\(builder.requestID)", "action": "\(builder.action)", "error": "\(error)",
            ])
            throw unavailable(requestID: builder.requestID, ran: false)
        }
        let facts = builder.factsRecordingIntent()
        var response: StreamingServerResponse<Output>
        do {
            if let rejection = CurrentCall.identityRejection {
                // A certificate that names no valid identity gets no principal: refused
                // before any handler runs, and recorded.
                facts.noteError(.invalidIdentity)
                throw RPCError(ErrorMapping.status(for: KMSError(.invalidIdentity, rejection.reason)))
            }
            response = try await CurrentCall.$audit.withValue(facts) { try await next(request, context) }
        } catch {
            var failure = RPCError(converting: error)
            try await write(facts: facts, failure: failure, builder: builder)
            failure.metadata.addString(builder.requestID, forKey: Self.requestIDKey)
            throw failure
        }
        let failure: RPCError? = if case .failure(let error) = response.accepted { error } else { nil }
        try await write(facts: facts, failure: failure, builder: builder)
        response.metadata.addString(builder.requestID, forKey: Self.requestIDKey)
        return response
    }

    /// Appends the call's records (one, or one per batch item) in one group.
    ///
    /// - Throws: UNAVAILABLE / `AUDIT_UNAVAILABLE` when they cannot be written.
    private func write(facts: AuditFacts, failure: RPCError?, builder: AuditRecordBuilder) async throws {
        let records = builder.records(for: facts, failure: failure)
        do {
            try await log.append(contentsOf: records)
            BatchItemMetrics.count(records, of: builder.action)
        } catch {
            // The call already ran; say so in the server log, without secrets, so it is not
            // entirely unrecorded.
            logger.error("a call ran but its audit records could not be written; the caller gets AUDIT_UNAVAILABLE", metadata: [
                "request_id": "\(builder.requestID)", "principal": "\(builder.principal)", "action": "\(builder.action)",
                "key_ids": "\(records.compactMap(\.keyID))", "outcomes": "\(records.map(\.outcome.rawValue))", "error": "\(error)",
            ])
            throw unavailable(requestID: builder.requestID, ran: true)
        }
    }

    private func unavailable(requestID: String, ran: Bool) -> RPCError {
        let outcome = ran ? "the request ran but its result is withheld because it could not be recorded" : "the request was not carried out"
        var error = RPCError(ErrorMapping.status(for: KMSError(.auditUnavailable, "the audit log cannot be written: \(outcome); retry later")))
        error.metadata.addString(requestID, forKey: Self.requestIDKey)
        return error
    }
}

extension RPCError {
    /// The error a handler threw, as the status the caller will see.
    init(converting error: any Error) {
        switch error {
        case let error as RPCError: self = error
        case let convertible as any RPCErrorConvertible: self.init(convertible)
        default: self.init(code: .unknown, message: "the server failed; see the server log")
        }
    }
}
