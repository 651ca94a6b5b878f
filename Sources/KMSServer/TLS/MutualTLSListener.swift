import GRPCCore
import GRPCNIOTransportHTTP2
import KMSCore
import Logging
import NIOCore
import NIOHTTP2
import NIOPosix
import NIOSSL
import Synchronization

/// The listening socket of `kmsd`: TCP with mutual TLS, set up here rather than by the gRPC
/// transport's own listener so that the TLS versions and cipher suites, the client
/// certificate verification (trust domains, revocation, reloading) and the connection
/// limits are ours. An accepted connection gets only the TLS handlers; once its handshake
/// completes it gets the gRPC HTTP/2 pipeline from the transport's `ConnectionConfigurator`
/// and goes to the gRPC server (`EstablishedConnections`), so connections that never finish
/// a handshake cost neither.
struct MutualTLSListener: HTTP2ServerTransport.ListenerFactory {
    let address: HostPort
    let acceptor: MutualTLSAcceptor
    var eventLoopGroup: any EventLoopGroup { MultiThreadedEventLoopGroup.singleton }

    func makeListeningChannel(
        listenerConfigurator: HTTP2ServerTransport.ListenerConfigurator,
        connectionConfigurator: HTTP2ServerTransport.ConnectionConfigurator
    ) async throws -> NIOAsyncChannel<HTTP2ServerTransport.ConnectionConfigurator.ConnectionChannel, Never> {
        let context = try await acceptor.makeContext(applicationProtocols: ["grpc-exp", "h2"])
        return try await EstablishedConnections.bind(
            address, backlog: 1024, acceptor: acceptor, context: context,
            configureListener: { listenerConfigurator.configure(channel: $0) },
            configure: { try Self.configureGRPC($0, with: connectionConfigurator) }
        )
    }

    /// Adds the gRPC HTTP/2 pipeline to the established `channel` (on its event loop). The
    /// pipeline is made to be added before the channel becomes active: the HTTP/2 handler,
    /// added to an active channel, starts itself and does not pass `channelActive` on, so it
    /// is passed on here to the handlers after it, whose connection timers (idle, keepalive,
    /// maximum age) start on it.
    private static func configureGRPC(
        _ channel: any Channel, with configurator: HTTP2ServerTransport.ConnectionConfigurator
    ) throws -> EventLoopFuture<HTTP2ServerTransport.ConnectionConfigurator.ConnectionChannel> {
        let configured = configurator.configure(channel: channel, tls: .configured(requireALPN: false))
        try channel.pipeline.syncOperations.context(handlerType: NIOHTTP2Handler.self).fireChannelActive()
        return configured
    }
}

/// The refusal of a connection over `limits.max_connections`.
struct ConnectionLimitReached: Error {}

/// Counts open connections against `limits.max_connections`.
final class ConnectionSlots: Sendable {
    private let limit: Int
    private let open = Atomic<Int>(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes a slot; `false` when all are taken.
    func acquire() -> Bool {
        let after = open.add(1, ordering: .relaxed).newValue
        guard after <= limit else {
            open.subtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    /// Gives a slot back.
    func release() {
        open.subtract(1, ordering: .relaxed)
    }
}
