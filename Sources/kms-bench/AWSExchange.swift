import Foundation
import KMSClient
import KMSCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One worker's HTTP/1.1 connection to the AWS-compatible endpoint (`--aws-target`), over
/// mutual TLS with the run's credentials: one request at a time, kept alive, as an AWS SDK's
/// pooled connection is. HTTP/1.1 has no multiplexing, so each worker has its own.
struct AWSExchange {
    private var inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>
    private let host: String

    /// A failed AWS call: the HTTP status and AWS's `__type`.
    struct Failure: Error, CustomStringConvertible {
        let status: HTTPResponseStatus
        let type: String

        var description: String { "\(status.code) \(type)" }
        /// Whether the server refused the call for the caller's quota.
        var isThrottled: Bool { type == "ThrottlingException" }
    }

    /// Runs `body` with a connection to `target`, closed afterwards.
    static func withConnection<Result: Sendable>(
        to target: HostPort, context: NIOSSLContext, _ body: (inout AWSExchange) async throws -> Result
    ) async throws -> Result {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: target.host, port: target.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    try operations.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                    try operations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var exchange = AWSExchange(inbound: inbound.makeAsyncIterator(), outbound: outbound, host: "\(target.host):\(target.port)")
            return try await body(&exchange)
        }
    }

    /// The TLS context of the run's credentials. The server certificate is verified against
    /// the CA, not against a host name (the target is an IP address).
    static func tlsContext(_ credentials: ClientCredentials) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .file(credentials.caCertificatePath)
        configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(credentials.certificatePath).map { .certificate($0) }
        configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: credentials.privateKeyPath, format: .pem))
        configuration.certificateVerification = .noHostnameVerification
        configuration.applicationProtocols = ["http/1.1"]
        return try NIOSSLContext(configuration: configuration)
    }

    /// Posts one AWS JSON 1.1 request for `operation` and waits for the whole response.
    ///
    /// - Throws: `Failure` for a response other than 200; what the connection throws.
    mutating func post(_ operation: String, body: ByteBuffer) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "host", value: host)
        headers.add(name: "content-type", value: "application/x-amz-json-1.1")
        headers.add(name: "x-amz-target", value: "TrentService.\(operation)")
        headers.add(name: "content-length", value: String(body.readableBytes))
        try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: .POST, uri: "/", headers: headers)))
        try await outbound.write(.body(.byteBuffer(body)))
        try await outbound.write(.end(nil))
        var status: HTTPResponseStatus?
        var responseBody = ByteBuffer()
        while let part = try await inbound.next() {
            switch part {
            case .head(let head): status = head.status
            case .body(var chunk): responseBody.writeBuffer(&chunk)
            case .end:
                guard let status else { throw Failure(status: .badGateway, type: "no response head") }
                guard status == .ok else {
                    let error = try? JSONDecoder().decode([String: String].self, from: Data(responseBody.readableBytesView))
                    throw Failure(status: status, type: error?["__type"] ?? "unknown")
                }
                return
            }
        }
        throw Failure(status: .badGateway, type: "the connection closed")
    }
}
