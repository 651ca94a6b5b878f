import GRPCCore
import GRPCNIOTransportHTTP2
import KMSCore
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// The listening socket of `kmsd`: TCP with mutual TLS, set up here rather than by the gRPC
/// transport's own listener so that the TLS versions and cipher suites, the client
/// certificate verification (trust domains, revocation, reloading) and the connection
/// limits are ours; every accepted connection then gets the gRPC HTTP/2 pipeline from the
/// transport's `ConnectionConfigurator`.
struct MutualTLSListener: HTTP2ServerTransport.ListenerFactory {
    let address: HostPort
    let acceptor: MutualTLSAcceptor
    var eventLoopGroup: any EventLoopGroup { MultiThreadedEventLoopGroup.singleton }

    func makeListeningChannel(
        listenerConfigurator: HTTP2ServerTransport.ListenerConfigurator,
        connectionConfigurator: HTTP2ServerTransport.ConnectionConfigurator
    ) async throws -> NIOAsyncChannel<HTTP2ServerTransport.ConnectionConfigurator.ConnectionChannel, Never> {
        let context = try await acceptor.makeContext(applicationProtocols: ["grpc-exp", "h2"])
        return try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelInitializer { channel in listenerConfigurator.configure(channel: channel) }
            .bind(host: address.host, port: address.port) { [acceptor] channel in
                acceptor.accept(channel, context: context).flatMap {
                    connectionConfigurator.configure(channel: channel, tls: .configured(requireALPN: false))
                }
            }
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
