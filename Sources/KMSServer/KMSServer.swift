import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import KMSCore
import KMSCrypto
import KMSIdentity
import KMSPolicy
import KMSService
import KMSStorage
import Logging

/// A running `kmsd`: the gRPC server over mutual TLS in front of the key service.
///
/// `init` opens the database and checks the root key (refusing to start with a wrong
/// or missing one); `run()` serves until `beginGracefulShutdown()`.
public final class KMSServer: Sendable {
    private let grpcServer: GRPCServer<HTTP2ServerTransport.Posix>
    private let store: SQLiteKeyStore
    private let logger: Logger

    /// - Throws: `StartupError` or `ConfigurationError` with an operator-facing message.
    public init(configuration: ServerConfiguration, logger: Logger = Logger(label: "kmsd")) async throws {
        self.logger = logger
        let serverPolicy: CompiledPolicy?
        do {
            serverPolicy = try configuration.serverPolicy.map { json throws(KMSError) in try CompiledPolicy.compile(json) }
        } catch {
            throw ConfigurationError("server_policy: \(error.message)")
        }
        try FileManager.default.createDirectory(
            atPath: configuration.dataDirectory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        let store = try await SQLiteKeyStore.open(path: configuration.databasePath, logger: logger)
        let rootKey: RootKey
        do {
            rootKey = try await Self.rootKey(for: store, configuration: configuration)
        } catch {
            try? await store.close()
            throw error
        }
        self.store = store
        let service = KeyManagementService(store: store, rootKey: rootKey, serverPolicy: serverPolicy, logger: logger)
        let transport = HTTP2ServerTransport.Posix(
            address: .ipv4OrIPv6(configuration.listen),
            transportSecurity: .mTLS(
                certificateChain: [.file(path: configuration.tls.certificate, format: .pem)],
                privateKey: .file(path: configuration.tls.privateKey, format: .pem)
            ) { tls in
                tls.trustRoots = .certificates([.file(path: configuration.tls.clientCA, format: .pem)])
                tls.clientCertificateVerification = .noHostnameVerification
            },
            config: .defaults { config in
                config.rpc.maxRequestPayloadSize = Limits.maxTransportMessageBytes
            }
        )
        self.grpcServer = GRPCServer(
            transport: transport,
            services: [SizeLimitedService(KeyManagementGRPCService(service: service)), HealthService()],
            interceptors: [CallerIdentityInterceptor(resolver: IdentityResolver(rules: configuration.identityRules))]
        )
    }

    /// Serves until `beginGracefulShutdown()` is called, then closes the database.
    public func run() async throws {
        do {
            try await grpcServer.serve()
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }

    /// The port the server listens on (useful with port 0). Waits until it is bound.
    public func listeningPort() async throws -> Int {
        let address = try await grpcServer.listeningAddress
        guard let port = address?.ipv4?.port ?? address?.ipv6?.port else {
            throw StartupError("the server is not listening on an IP address")
        }
        return port
    }

    /// Stops accepting new RPCs and lets running ones finish.
    public func beginGracefulShutdown() {
        grpcServer.beginGracefulShutdown()
    }

    /// Loads the root key and checks it against the database, creating both on first start.
    private static func rootKey(for store: SQLiteKeyStore, configuration: ServerConfiguration) async throws -> RootKey {
        let path = configuration.rootKeyFile
        let verifier = try await store.rootKeyVerifier()
        switch (try RootKeyFile.load(path: path), verifier) {
        case (let key?, let verifier?):
            guard key.verifies(verifier) else {
                throw StartupError("the root key in \(path) is not the one that protects \(configuration.databasePath); refusing to start")
            }
            return key
        case (let key?, nil):
            try await store.setRootKeyVerifier(key.makeVerifier())
            return key
        case (nil, _?):
            throw StartupError("the root key file \(path) is missing, but \(configuration.databasePath) was created with a root key; restore the file (or set root_key_file)")
        case (nil, nil):
            let key = try RootKeyFile.create(path: path)
            try await store.setRootKeyVerifier(key.makeVerifier())
            return key
        }
    }
}

extension GRPCNIOTransportCore.SocketAddress {
    /// A socket address for a listen address: IPv6 when the host has a colon.
    static func ipv4OrIPv6(_ address: HostPort) -> Self {
        address.isIPv6 ? .ipv6(host: address.host, port: address.port) : .ipv4(host: address.host, port: address.port)
    }
}
