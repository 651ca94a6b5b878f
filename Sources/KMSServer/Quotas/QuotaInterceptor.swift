import Foundation
import GRPCCore
import GRPCProtobuf
import KMSAudit
import KMSCore
import KMSProto
import Logging

/// Enforces the request quotas (`quotas:`) on every `kms.v1` call, after the caller's
/// principal is known (`CallerIdentityInterceptor`) and before the call's audit record is
/// begun (`AuditInterceptor`): a throttled call does no work, costs no audit sync of its
/// own (`QuotaEnforcer` samples its records), and is answered RESOURCE_EXHAUSTED with
/// reason `THROTTLED` and a `RetryInfo` delay.
///
/// Each call takes one token; a batch call takes one per item, counted as the single
/// operation (BatchEncrypt items as Encrypt), and is admitted or refused as a whole. To
/// count the items the interceptor decodes the batch request before passing it on; a
/// principal whose bucket has not even one token left is refused before that.
struct QuotaInterceptor: ServerInterceptor {
    static let requestIDKey = AuditInterceptor.requestIDKey

    let enforcer: QuotaEnforcer

    /// The interceptor's place in the server's pipeline: on `kms.v1` when `quotas` has rules,
    /// on nothing (no cost at all) when it has none.
    ///
    /// - Throws: `ConfigurationError` when a rule is invalid.
    static func pipelineEntry(
        _ quotas: [ServerConfiguration.QuotaRule], log: AuditLog, clock: @escaping @Sendable () -> Date, logger: Logger
    ) throws(ConfigurationError) -> ConditionalInterceptor<any ServerInterceptor> {
        let enforcer = try QuotaEnforcer(quotas: quotas, log: log, clock: clock, logger: logger)
        return .apply(QuotaInterceptor(enforcer: enforcer), to: .services(quotas.isEmpty ? [] : [Kms_V1_KeyManagementService.descriptor]))
    }

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        // A caller without a valid identity is refused (and recorded) by AuditInterceptor.
        guard let principal = CurrentCall.identity?.principal else { return try await next(request, context) }
        let method = context.descriptor.method
        let operation = QuotaRules.operation(of: method)
        var request = request
        var items: Int?
        if operation != method {
            if case .throttled(let retryAfter, let rule) = enforcer.check(1, principal: principal, operation: operation) {
                throw await refuse(method: method, operation: operation, principal: principal, items: nil, rule: rule, retryAfter: retryAfter)
            }
            let peeked = await PeekedRequest.peek(request)
            request = peeked.request
            items = peeked.first.flatMap(Self.itemCount).flatMap { Limits.batchItems.contains($0) ? $0 : nil }
        }
        switch enforcer.take(items ?? 1, principal: principal, operation: operation) {
        case .unlimited, .admitted:
            return try await next(request, context)
        case .throttled(let retryAfter, let rule):
            throw await refuse(method: method, operation: operation, principal: principal, items: items, rule: rule, retryAfter: retryAfter)
        }
    }

    /// The error of a throttled call, after its record is written (or counted).
    private func refuse(
        method: String, operation: String, principal: Principal, items: Int?, rule: Int, retryAfter: Duration
    ) async -> RPCError {
        var error = enforcer.refusal(operation: operation, items: items, rule: rule, retryAfter: retryAfter)
        let requestID = await enforcer.recordThrottled(
            action: "kms:" + method, principal: principal, proxy: CurrentCall.proxy, source: CurrentCall.sourceIP, failure: error
        )
        if let requestID { error.metadata.addString(requestID, forKey: Self.requestIDKey) }
        return error
    }

    /// The items of a batch request; `nil` for any other message.
    static func itemCount(of message: some Sendable) -> Int? {
        switch message {
        case let batch as Kms_V1_BatchEncryptRequest: batch.requests.count
        case let batch as Kms_V1_BatchDecryptRequest: batch.requests.count
        case let batch as Kms_V1_BatchGenerateDataKeyRequest: batch.requests.count
        default: nil
        }
    }
}

/// A request whose first messages were read ahead, and a request that hands them out again,
/// unchanged, to the interceptors and the handler after it.
enum PeekedRequest {
    /// Reads the request's first message and whether a second follows (a unary call has
    /// exactly one; the handler refuses more), or the error reading them ended with.
    static func peek<Input: Sendable>(_ request: StreamingServerRequest<Input>) async -> (request: StreamingServerRequest<Input>, first: Input?) {
        var iterator = request.messages.makeAsyncIterator()
        var parts: [Result<Input, RPCError>] = []
        do {
            if let first = try await iterator.next() {
                parts.append(.success(first))
                if let second = try await iterator.next() { parts.append(.success(second)) }
            }
        } catch {
            parts.append(.failure(RPCError(converting: error)))
        }
        let first: Input? = if case .success(let message) = parts.first { message } else { nil }
        return (StreamingServerRequest(metadata: request.metadata, messages: RPCAsyncSequence(wrapping: ReplayedMessages(parts: parts))), first)
    }
}

/// Messages (or the error) read ahead, handed out again in order.
struct ReplayedMessages<Element: Sendable>: AsyncSequence, Sendable {
    typealias Failure = any Error

    let parts: [Result<Element, RPCError>]

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(parts: parts[...])
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        typealias Failure = any Error

        var parts: ArraySlice<Result<Element, RPCError>>

        mutating func next() async throws -> Element? {
            guard let part = parts.popFirst() else { return nil }
            switch part {
            case .success(let message):
                return message
            case .failure(let error):
                // The decoder noted its error (an oversize message: LIMIT_EXCEEDED) for the
                // audit record while no record was begun yet; note it now.
                if let reason = error.errorInfoReason, let code = KMSError.Code.all.first(where: { $0.reason == reason }) {
                    CurrentCall.audit?.noteError(code)
                }
                throw error
            }
        }
    }
}

extension RPCError {
    /// The reason of the error's `ErrorInfo` detail, when it has one.
    fileprivate var errorInfoReason: String? {
        (try? unpackGoogleRPCStatus())?.details.lazy.compactMap(\.errorInfo).first?.reason
    }
}
