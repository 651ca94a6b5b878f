import Logging
import NIOCore
import NIOSSL

/// What every listener of `kmsd` that takes callers does to an accepted TCP connection
/// before its protocol starts: it takes a connection slot (`limits.max_connections`, shared
/// by the listeners that share the acceptor), then adds mutual TLS with the versions and
/// suites below, the client certificate verified with the material in force, the handshake
/// deadline, and the connection's verified chain recorded in `peers` for the calls to find.
/// The gRPC listener (`MutualTLSListener`) and the AWS-compatible endpoint
/// (`AWSCompatListener`) differ only in what follows the TLS handler.
struct MutualTLSAcceptor: Sendable {
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

    let minimumVersion: ServerConfiguration.TLSSettings.MinimumVersion
    let limits: ServerConfiguration.ConnectionLimits
    let material: TLSMaterialStore
    let peers: VerifiedPeers
    /// The chains of full handshakes, to check resumed sessions with.
    let presentedChains = PresentedChains()
    let slots: ConnectionSlots
    let logger: Logger

    init(
        minimumVersion: ServerConfiguration.TLSSettings.MinimumVersion, limits: ServerConfiguration.ConnectionLimits,
        material: TLSMaterialStore, peers: VerifiedPeers, logger: Logger
    ) {
        self.minimumVersion = minimumVersion
        self.limits = limits
        self.material = material
        self.peers = peers
        self.slots = ConnectionSlots(limit: limits.maxConnections)
        self.logger = logger
    }

    /// The TLS context of a listener whose protocol is negotiated with ALPN as
    /// `applicationProtocols`, once the first server certificate is in force.
    func makeContext(applicationProtocols: [String]) async throws -> NIOSSLContext {
        let initial = try await material.waitForMaterial(logger: logger)
        return try NIOSSLContext(configuration: tlsConfiguration(initial: initial, applicationProtocols: applicationProtocols))
    }

    /// Takes a connection slot for `channel` and adds the TLS handlers; fails (and closes the
    /// channel) when every slot is taken. `whenEstablished`, when given, is called on the
    /// channel's event loop once its handshake has completed and its client is verified,
    /// before anything read on it goes further: it adds the protocol's handlers (a throw
    /// closes the connection).
    func accept(
        _ channel: any Channel, context: NIOSSLContext, whenEstablished: (@Sendable (any Channel) throws -> Void)? = nil
    ) -> EventLoopFuture<Void> {
        guard slots.acquire() else {
            logger.warning("refused a connection: limits.max_connections reached", metadata: [
                "max_connections": "\(limits.maxConnections)",
            ])
            HandshakeFailure.connectionLimit.count()
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(ConnectionLimitReached())
        }
        channel.closeFuture.whenComplete { [slots] _ in slots.release() }
        return channel.eventLoop.makeCompletedFuture {
            try addTLSHandlers(to: channel, context: context, whenEstablished: whenEstablished)
        }
    }

    /// The TLS configuration: the versions and suites above, a client certificate required
    /// on every connection, and the server credential taken from the material in force at
    /// each handshake.
    private func tlsConfiguration(initial: TLSMaterial, applicationProtocols: [String]) -> TLSConfiguration {
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
        configuration.applicationProtocols = applicationProtocols
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
    private func addTLSHandlers(
        to channel: any Channel, context: NIOSSLContext, whenEstablished: (@Sendable (any Channel) throws -> Void)?
    ) throws {
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
            whenEstablished: whenEstablished,
            logger: logger
        ))
    }
}
