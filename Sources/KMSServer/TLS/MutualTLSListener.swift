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
    /// The TLS 1.2 cipher suites offered: ECDHE key exchange with AEAD ciphers only (no
    /// static RSA key exchange, no CBC). TLS 1.3's suites are all AEAD and not configurable.
    static let tls12CipherSuites: [NIOTLSCipher] = [
        .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]

    let address: HostPort
    let minimumVersion: ServerConfiguration.TLSSettings.MinimumVersion
    let limits: ServerConfiguration.ConnectionLimits
    let material: TLSMaterialStore
    let peers: VerifiedPeers
    /// The chains of full handshakes, to check resumed sessions with.
    let presentedChains = PresentedChains()
    let logger: Logger
    var eventLoopGroup: any EventLoopGroup { MultiThreadedEventLoopGroup.singleton }

    func makeListeningChannel(
        listenerConfigurator: HTTP2ServerTransport.ListenerConfigurator,
        connectionConfigurator: HTTP2ServerTransport.ConnectionConfigurator
    ) async throws -> NIOAsyncChannel<HTTP2ServerTransport.ConnectionConfigurator.ConnectionChannel, Never> {
        let initial = try await material.waitForMaterial(logger: logger)
        let context = try NIOSSLContext(configuration: tlsConfiguration(initial: initial))
        let slots = ConnectionSlots(limit: limits.maxConnections)
        let settings = self
        return try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelInitializer { channel in listenerConfigurator.configure(channel: channel) }
            .bind(host: address.host, port: address.port) { channel in
                guard slots.acquire() else {
                    settings.logger.warning("refused a connection: limits.max_connections reached", metadata: [
                        "max_connections": "\(settings.limits.maxConnections)",
                    ])
                    HandshakeFailure.connectionLimit.count()
                    channel.close(promise: nil)
                    return channel.eventLoop.makeFailedFuture(ConnectionLimitReached())
                }
                channel.closeFuture.whenComplete { _ in slots.release() }
                return channel.eventLoop.makeCompletedFuture {
                    try settings.addTLSHandlers(to: channel, context: context)
                }.flatMap {
                    connectionConfigurator.configure(channel: channel, tls: .configured(requireALPN: false))
                }
            }
    }

    /// The listener's TLS configuration: the versions and suites above, a client
    /// certificate required on every connection, and the server credential taken from the
    /// material in force at each handshake.
    private func tlsConfiguration(initial: TLSMaterial) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: initial.credential.chain.map { .certificate($0) },
            privateKey: .privateKey(initial.credential.privateKey)
        )
        configuration.minimumTLSVersion = minimumVersion == .tls13 ? .tlsv13 : .tlsv12
        configuration.cipherSuiteValues = Self.tls12CipherSuites
        configuration.certificateVerification = .noHostnameVerification
        // The verification callback decides with the anchors in force; BoringSSL's own
        // store is not consulted.
        configuration.trustRoots = .certificates([])
        configuration.applicationProtocols = ["grpc-exp", "h2"]
        let material = self.material
        configuration.sslContextCallback = { _, promise in
            guard let credential = material.current?.credential else {
                promise.fail(TLSMaterialError("no server certificate is in force"))
                return
            }
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = credential.chain.map { .certificate($0) }
            override.privateKey = .privateKey(credential.privateKey)
            promise.succeed(override)
        }
        return configuration
    }

    /// Adds the TLS handler and the connection handler that watches it.
    private func addTLSHandlers(to channel: any Channel, context: NIOSSLContext) throws {
        let material = self.material
        let verification = ClientVerificationResult(
            verifier: { material.current?.verifier },
            presentedChains: presentedChains,
            peer: { channel.remoteAddress.map { "\($0)" } ?? "unknown" },
            logger: logger
        )
        let tls = NIOSSLServerHandler(context: context, customVerificationCallbackWithMetadata: verification.callback)
        let operations = channel.pipeline.syncOperations
        try operations.addHandler(tls)
        try operations.addHandler(TLSConnectionHandler(
            handshakeTimeout: .seconds(Int64(limits.handshakeTimeoutSeconds)),
            verification: verification,
            tls: tls,
            peers: peers,
            logger: logger
        ))
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
