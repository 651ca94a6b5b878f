@testable import KMSServer
import NIOCore
import NIOEmbedded
import NIOPosix
import Synchronization
import Testing

/// The listener hands established connections to the protocol server; one it cannot hand over
/// (the listener closed meanwhile) is closed, and released only once its channel has closed: a
/// gRPC connection released earlier, with its writer unfinished, traps in NIO.
@Suite struct EstablishedConnectionsTests {
    /// Whether a connection's channel was still open when the connection was released.
    final class Release: Sendable {
        let whileOpen = Mutex<Bool?>(nil)
        var value: Bool? { whileOpen.withLock { $0 } }
    }

    /// Stands for a configured connection; notes its `Release`.
    final class Connection: Sendable {
        let channel: any Channel
        let release: Release
        init(channel: any Channel, release: Release) {
            self.channel = channel
            self.release = release
        }
        deinit {
            let open = channel.isActive
            release.whileOpen.withLock { $0 = open }
        }
    }

    /// A connected TCP channel on a NIO event loop (not the listener's), and a way to end both sides.
    static func connectedChannel() async throws -> (any Channel, () async throws -> Void) {
        let group = MultiThreadedEventLoopGroup.singleton
        let server = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let client = try await ClientBootstrap(group: group).connect(to: server.localAddress!).get()
        return (client, {
            try? await client.close()
            try await server.close()
        })
    }

    @Test func aConnectionEstablishedAfterTheListenerClosedIsClosedBeforeItIsReleased() async throws {
        let listener = EmbeddedChannel()
        let connections = EstablishedConnections<Connection>()
        try connections.install(on: listener)
        try await listener.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1))
        try await listener.close()
        let (child, end) = try await Self.connectedChannel()
        let release = Release()

        connections.deliver(Connection(channel: child, release: release), of: child)
        listener.embeddedEventLoop.run()
        try await child.closeFuture.get()
        for _ in 0..<100 where release.value == nil { try await Task.sleep(for: .milliseconds(10)) }

        #expect(release.value == false)
        try await end()
    }

    @Test func aConnectionEstablishedWhileTheListenerIsOpenIsYieldedAndStaysOpen() async throws {
        let listener = EmbeddedChannel()
        let connections = EstablishedConnections<Connection>()
        try connections.install(on: listener)
        try await listener.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1))
        let (child, end) = try await Self.connectedChannel()
        connections.deliver(Connection(channel: child, release: Release()), of: child)
        listener.embeddedEventLoop.run()
        var delivered = try connections.asyncChannel().inbound.makeAsyncIterator()

        #expect(try await delivered.next()?.channel === child)
        #expect(child.isActive)
        try await end()
    }
}
