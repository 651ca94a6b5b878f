import KMSCore
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// Hands a listener's connections to its protocol server (the `NIOAsyncChannel` of the
/// listening channel that the server iterates) once each is *established*, its TLS handshake
/// complete and its client verified, rather than as each is accepted.
///
/// `ServerBootstrap`'s async `bind` yields a connection as soon as it is accepted (its child
/// initializer must finish before the connection is even registered), so every accepted TCP
/// connection would get the protocol's whole pipeline and its server's tasks at once: a flood
/// of connections that never finish their handshake would cost the protocol set-up and
/// tear-down of each, on the event loops and in the task pool that serve the established
/// clients. With this, an accepted connection gets only the TLS handlers (the bootstrap's
/// classic child initializer, which does not hold up registration), and the listener calls
/// `deliver` when its handshake completes.
///
/// On the listening channel's pipeline it installs, in order: an `AcceptBackoffHandler` (as
/// the async `bind` does, so that accept errors such as `EMFILE` back off instead of ending
/// the server), a `Detour` that takes each accepted channel past the next handler, the
/// `NIOAsyncChannel`'s handler that yields delivered connections, and a `Relay` from whose
/// context the accepted channels continue to the bootstrap's accept handler (which `bind`
/// adds after these), which registers them.
final class EstablishedConnections<Connection: Sendable>: Sendable {
    private struct Installed: Sendable {
        let detour: NIOLoopBound<Detour>
        let channel: NIOAsyncChannel<Connection, Never>
    }

    private let installed = Mutex<Installed?>(nil)

    /// Installs the handlers on `serverChannel`; call on its event loop, from the bootstrap's
    /// server channel initializer.
    func install(on serverChannel: any Channel) throws {
        let operations = serverChannel.pipeline.syncOperations
        try operations.addHandler(AcceptBackoffHandler(shouldForwardIOErrorCaught: false))
        let detour = Detour()
        try operations.addHandler(detour)
        let channel = try NIOAsyncChannel<Connection, Never>(wrappingChannelSynchronously: serverChannel)
        let relay = Relay()
        try operations.addHandler(relay)
        detour.relay = try operations.context(handler: relay)
        installed.withLock { $0 = Installed(detour: NIOLoopBound(detour, eventLoop: serverChannel.eventLoop), channel: channel) }
    }

    /// What the protocol server iterates: the delivered connections. Throws when `install`
    /// has not run.
    func asyncChannel() throws -> NIOAsyncChannel<Connection, Never> {
        guard let installed = installed.withLock({ $0 }) else { throw ListenerNotInstalled() }
        return installed.channel
    }

    /// Hands `connection` (made from the established `child`) to the protocol server; closes
    /// `child` instead when the listener has closed meanwhile.
    ///
    /// `connection` is kept until `child` has closed, delivered or not: a connection holds the
    /// `NIOAsyncChannel` of its channel, and NIO traps when one whose writer was not finished
    /// is released before its channel closed (which finishes the writer).
    func deliver(_ connection: Connection, of child: any Channel) {
        child.closeFuture.whenComplete { _ in withExtendedLifetime(connection) {} }
        guard let detour = installed.withLock({ $0?.detour }) else {
            child.close(promise: nil)
            return
        }
        detour.eventLoop.execute {
            if !detour.value.yield(connection) { child.close(promise: nil) }
        }
    }

    /// Sends accepted channels on from the relay's context, past the async channel's handler;
    /// yields delivered connections into it from its own context.
    private final class Detour: ChannelInboundHandler {
        typealias InboundIn = any Channel
        var relay: ChannelHandlerContext?
        private var context: ChannelHandlerContext?

        func handlerAdded(context: ChannelHandlerContext) {
            self.context = context
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            self.context = nil
            relay = nil
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            relay?.fireChannelRead(data)
        }

        /// Passes `connection` to the async channel's handler; `false` once the listener closed.
        func yield(_ connection: Connection) -> Bool {
            guard let context, context.channel.isActive else { return false }
            context.fireChannelRead(NIOAny(connection))
            context.fireChannelReadComplete()
            return true
        }
    }

    /// Ends the delivered connections' reads (the async channel's handler passes them on) and
    /// lends its context to the detour.
    private final class Relay: ChannelInboundHandler {
        typealias InboundIn = Connection

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
    }
}

extension EstablishedConnections {
    /// Listens on `address` with mutual TLS (`acceptor`) and returns what the protocol server
    /// iterates: each connection once its handshake has completed and `configure` (called on
    /// its event loop) has made it the protocol's connection. `configureListener` sets up the
    /// listening channel first. A `configure` that throws or fails closes the connection.
    static func bind(
        _ address: HostPort, backlog: Int32, acceptor: MutualTLSAcceptor, context: NIOSSLContext,
        configureListener: @escaping @Sendable (any Channel) -> EventLoopFuture<Void> = { $0.eventLoop.makeSucceededVoidFuture() },
        configure: @escaping @Sendable (any Channel) throws -> EventLoopFuture<Connection>
    ) async throws -> NIOAsyncChannel<Connection, Never> {
        let connections = EstablishedConnections()
        let serverChannel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: backlog)
            .serverChannelInitializer { channel in
                configureListener(channel).flatMapThrowing { try connections.install(on: channel) }
            }
            .childChannelInitializer { channel in
                acceptor.accept(channel, context: context) { channel in
                    try configure(channel).whenComplete { result in
                        switch result {
                        case .success(let connection): connections.deliver(connection, of: channel)
                        case .failure: channel.close(promise: nil)
                        }
                    }
                }
            }
            .bind(host: address.host, port: address.port)
            .get()
        do {
            return try connections.asyncChannel()
        } catch {
            try? await serverChannel.close()
            throw error
        }
    }
}

/// `EstablishedConnections` was used before its listening channel was set up.
struct ListenerNotInstalled: Error {}
