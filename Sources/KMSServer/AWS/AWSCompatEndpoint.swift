import Foundation
import GRPCCore
import KMSCore
import Logging
import NIOHTTP1

/// AWS KMS's JSON 1.1 protocol over the `kms.v1` service: one HTTP request in, one response
/// out. `POST /` with `X-Amz-Target: TrentService.<Operation>` and
/// `Content-Type: application/x-amz-json-1.1`; the operation runs as its RPC through the
/// in-process gRPC server (`AWSOperation`); errors are `{"__type": …, "message": …}` with
/// the status `AWSErrorMapping` gives; `x-amzn-RequestId` is the request id of the call's
/// audit record. AWS Signature V4 headers are accepted and not used: the caller is the
/// client certificate of the TLS connection.
struct AWSCompatEndpoint: Sendable {
    /// The `X-Amz-Target` prefix of KMS operations.
    static let targetPrefix = "TrentService."
    static let contentType = "application/x-amz-json-1.1"
    /// The largest request body read: twice the largest request message, so that every
    /// request within the service's own limits fits in base64, and the service's limits
    /// decide.
    static let maxBodyBytes = 2 * Limits.maxRequestBytes

    /// The operations by AWS name.
    static let operations: [String: AWSOperation] = Dictionary(
        uniqueKeysWithValues: (AWSOperation.keyOperations + AWSOperation.cryptoOperations + AWSOperation.signingOperations
            + AWSOperation.aliasAndTagOperations + AWSOperation.policyOperations + AWSOperation.grantOperations
            + AWSOperation.rotationOperations).map { ($0.name, $0) }
    )

    let client: GRPCClient<InProcessCallTransport>
    let names: AWSResourceNames
    let logger: Logger

    /// One HTTP request.
    struct Request: Sendable {
        let head: HTTPRequestHead
        /// The body; `nil` when it was longer than `maxBodyBytes` (and not kept).
        let body: Data?
        /// The TLS connection's peer strings, which name its verified client chain.
        let remotePeer: String
        let localPeer: String
    }

    /// One HTTP response.
    struct Response: Sendable {
        let status: HTTPResponseStatus
        let body: Data
        let requestID: String?
    }

    /// Answers `request`.
    func respond(to request: Request) async -> Response {
        let target = request.head.headers["x-amz-target"].first ?? ""
        guard request.head.method == .POST, request.head.uri == "/",
              target.hasPrefix(Self.targetPrefix), let operation = Self.operations[String(target.dropFirst(Self.targetPrefix.count))] else {
            return refuseUnrouted(request, target: target)
        }
        let call = AWSCall(client: client, metadata: metadata(of: request), names: names)
        let body: Result<AWSRequestReader, KMSError>
        do throws(KMSError) {
            let mediaType = request.head.headers["content-type"].first?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces)
            guard mediaType?.lowercased() == Self.contentType else {
                throw KMSError(.validation, "Content-Type must be \(Self.contentType)")
            }
            guard let bytes = request.body else {
                throw KMSError(.limitExceeded, "the request body is larger than \(Self.maxBodyBytes) bytes")
            }
            body = .success(try AWSRequestReader(body: bytes, names: names))
        } catch {
            // Not readable at all: the operation's RPC still runs, to fail with this error
            // once the call is identified and recorded.
            body = .failure(error)
        }
        return respond(operation, to: await operation.perform(body, call))
    }

    /// The answer to a request that names no operation of this server: not an RPC, so not
    /// audited; its request id is in the server log line, for the caller to quote.
    private func refuseUnrouted(_ request: Request, target: String) -> Response {
        let requestID = UUID().uuidString.lowercased()
        let exception: AWSErrorMapping.Exception
        let message: String
        if request.head.method != .POST || request.head.uri != "/" {
            (exception, message) = (.init(status: .notFound, type: "UnknownOperationException"), "this endpoint answers POST / only")
        } else {
            (exception, message) = (.client("UnsupportedOperationException"), "\(target.prefix(128)) is not an operation this server supports (docs/AWS_COMPAT.md)")
        }
        logger.info("refused an AWS request that names no operation of this server", metadata: [
            "request_id": "\(requestID)", "method": "\(request.head.method)", "uri": "\(request.head.uri.prefix(128))",
            "target": "\(target.prefix(128))", "peer": "\(request.remotePeer)",
        ])
        return Self.error(exception, message, requestID: requestID)
    }

    /// The metadata of the in-process call: the connection (for the caller) and what a
    /// trusted proxy forwarded.
    private func metadata(of request: Request) -> Metadata {
        var metadata = Metadata()
        metadata.addString("\(request.remotePeer) \(request.localPeer)", forKey: CallerIdentityInterceptor.inProcessPeersKey)
        for value in request.head.headers[ForwardedCallerResolver.header] {
            metadata.addString(value, forKey: ForwardedCallerResolver.header)
        }
        return metadata
    }

    private func respond(_ operation: AWSOperation, to result: AWSOperationResult) -> Response {
        switch result {
        case .success(let json, let requestID):
            return Response(status: .ok, body: Self.encode(json), requestID: requestID)
        case .failure(let failure):
            return Self.error(AWSErrorMapping.exception(for: failure, operation: operation.name), failure.message, requestID: failure.requestID)
        }
    }

    private static func error(_ exception: AWSErrorMapping.Exception, _ message: String, requestID: String?) -> Response {
        Response(
            status: exception.status,
            body: encode(.object(["__type": .string(exception.type), "message": .string(message)])),
            requestID: requestID
        )
    }

    private static func encode(_ json: AWSJSON) -> Data {
        (try? JSONEncoder().encode(json)) ?? Data("{}".utf8)
    }
}
