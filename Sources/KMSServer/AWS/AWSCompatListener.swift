import Foundation
import GRPCCore
import GRPCInProcessTransport
import KMSCore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The listening socket of the AWS-compatible endpoint (`aws_compat.listen`): HTTP/1.1 over
/// the same mutual TLS as the gRPC listener (`MutualTLSAcceptor`: versions, suites, client
/// verification, reloads, connection slots), one request at a time per connection, each
/// answered by `AWSCompatEndpoint`. Like the gRPC listener, it gives a connection the HTTP
/// handlers and a task only once its handshake has completed (`EstablishedConnections`). A
/// connection idle for `limits.idle_timeout_seconds` is closed. On graceful shutdown it stops accepting, lets each connection finish the request
/// it is answering, and closes the connections.
struct AWSCompatListener: Service {
    let address: HostPort
    let acceptor: MutualTLSAcceptor
    let endpoint: AWSCompatEndpoint
    let idleTimeout: TimeAmount
    /// Fulfilled with the bound address once the endpoint listens.
    let bound: EventLoopPromise<SocketAddress>
    let logger: Logger

    /// The most of a refused body read and thrown away before its connection is closed.
    static let maxDrainedBytes = 1024 * 1024

    func run() async throws {
        let connections = OpenConnections()
        let server: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
        do {
            let context = try await acceptor.makeContext(applicationProtocols: ["http/1.1"])
            server = try await EstablishedConnections.bind(address, backlog: 256, acceptor: acceptor, context: context) { [idleTimeout] channel in
                channel.eventLoop.makeSucceededFuture(try Self.configureHTTP(channel, idleTimeout: idleTimeout))
            }
        } catch {
            bound.fail(error)
            throw error
        }
        if let localAddress = server.channel.localAddress {
            bound.succeed(localAddress)
        } else {
            bound.fail(StartupError("the AWS-compatible endpoint has no local address"))
        }
        logger.info("AWS-compatible endpoint listening", metadata: ["address": "\(server.channel.localAddress.map { "\($0)" } ?? "")"])
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask { await serve(connection, connections: connections) }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
            connections.closeIdle()
        }
    }

    /// Adds the HTTP/1.1 server handlers to the established `channel` (on its event loop) and
    /// wraps it for `serve`.
    private static func configureHTTP(
        _ channel: any Channel, idleTimeout: TimeAmount
    ) throws -> NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart> {
        let operations = channel.pipeline.syncOperations
        try operations.configureHTTPServerPipeline(withErrorHandling: true)
        try operations.addHandler(IdleStateHandler(allTimeout: idleTimeout))
        try operations.addHandler(CloseWhenIdle())
        return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
    }

    /// Answers the requests of one connection until the client closes it, asks to, or the
    /// endpoint shuts down.
    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, connections: OpenConnections) async {
        let channel = connection.channel
        guard let peers = VerifiedPeers.peerStrings(of: channel), let id = connections.open(channel) else {
            channel.close(promise: nil)
            return
        }
        defer { connections.close(id) }
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body = Data()
                // After a body over the limit was answered: the bytes of it still read and thrown
                // away, so that the client reads the answer before the connection closes.
                var drained: Int?
                /// Answers the request of `head`; whether the connection stays open.
                func answer(_ head: HTTPRequestHead, body: Data?) async throws -> Bool {
                    let response = await endpoint.respond(to: .init(head: head, body: body, remotePeer: peers.remote, localPeer: peers.local))
                    // A body over the limit is not read: the connection closes after it.
                    let keepAlive = body != nil && head.isKeepAlive && !connections.isClosing
                    try await write(response, version: head.version, keepAlive: keepAlive, to: outbound)
                    return keepAlive && connections.markIdle(id)
                }
                for try await part in inbound {
                    switch part {
                    case .head(let requestHead):
                        connections.markBusy(id)
                        (head, body) = (requestHead, Data())
                        let declared = requestHead.headers["content-length"].first.flatMap { Int($0) } ?? 0
                        if declared > AWSCompatEndpoint.maxBodyBytes {
                            _ = try await answer(requestHead, body: nil)
                            drained = 0
                        }
                    case .body(let chunk):
                        if let bytes = drained {
                            drained = bytes + chunk.readableBytes
                            if bytes + chunk.readableBytes > Self.maxDrainedBytes { return }
                        } else if let requestHead = head {
                            guard body.count + chunk.readableBytes <= AWSCompatEndpoint.maxBodyBytes else {
                                _ = try await answer(requestHead, body: nil)
                                drained = 0
                                continue
                            }
                            body.append(contentsOf: chunk.readableBytesView)
                        }
                    case .end:
                        guard drained == nil, let requestHead = head else { return }
                        head = nil
                        guard try await answer(requestHead, body: body) else { return }
                    }
                }
            }
        } catch {
            logger.debug("AWS-compatible endpoint connection ended", metadata: ["error": "\(error)"])
        }
    }

    private func write(
        _ response: AWSCompatEndpoint.Response, version: HTTPVersion, keepAlive: Bool,
        to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: AWSCompatEndpoint.contentType)
        headers.add(name: "content-length", value: String(response.body.count))
        if let requestID = response.requestID { headers.add(name: "x-amzn-RequestId", value: requestID) }
        headers.add(name: "connection", value: keepAlive ? "keep-alive" : "close")
        try await outbound.write(.head(HTTPResponseHead(version: version, status: response.status, headers: headers)))
        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: response.body))))
        try await outbound.write(.end(nil))
    }
}

/// Closes a connection when `IdleStateHandler` reports it idle.
private final class CloseWhenIdle: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}

/// The endpoint's open connections and whether each is answering a request, so that a
/// graceful shutdown closes the idle ones at once and the busy ones after their response.
private final class OpenConnections: Sendable {
    private struct State {
        var closing = false
        var nextID = 0
        var connections: [Int: (channel: any Channel, busy: Bool)] = [:]
    }

    private let state = Mutex(State())

    /// Registers an open connection; `nil` when the endpoint is shutting down.
    func open(_ channel: any Channel) -> Int? {
        state.withLock { state in
            guard !state.closing else { return nil }
            state.nextID += 1
            state.connections[state.nextID] = (channel, false)
            return state.nextID
        }
    }

    func close(_ id: Int) {
        _ = state.withLock { $0.connections.removeValue(forKey: id) }
    }

    func markBusy(_ id: Int) {
        state.withLock { $0.connections[id]?.busy = true }
    }

    /// Marks a connection idle after a response; `false` when it must close instead.
    func markIdle(_ id: Int) -> Bool {
        state.withLock { state in
            state.connections[id]?.busy = false
            return !state.closing
        }
    }

    var isClosing: Bool { state.withLock { $0.closing } }

    /// Starts the shutdown: closes every idle connection now; busy ones close after their
    /// response.
    func closeIdle() {
        let idle = state.withLock { state in
            state.closing = true
            return state.connections.values.filter { !$0.busy }.map(\.channel)
        }
        for channel in idle { channel.close(promise: nil) }
    }
}

/// What `kmsd` runs for the AWS-compatible endpoint: the listener, and the in-process gRPC
/// server and client its requests run through.
struct AWSCompatParts: Sendable {
    let listener: AWSCompatListener
    let server: GRPCServer<InProcessTransport.Server>
    let client: GRPCClient<InProcessTransport.Client>
}
