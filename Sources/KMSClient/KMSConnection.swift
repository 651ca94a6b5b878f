import GRPCCore
import GRPCNIOTransportHTTP2
import KMSCore
import KMSProto

/// The generated client for `kms.v1.KeyManagementService` over the HTTP/2 Posix transport.
public typealias KMSServiceClient = Kms_V1_KeyManagementService.Client<HTTP2ClientTransport.Posix>

/// The generated client for `grpc.health.v1.Health` over the HTTP/2 Posix transport.
public typealias HealthClient = Grpc_Health_V1_Health.Client<HTTP2ClientTransport.Posix>

/// Opens mutual-TLS connections to a `kmsd`.
public enum KMSConnection {
    /// The transport for one server: mutual TLS, the server verified against the CA in
    /// `credentials`, including its name or IP address.
    ///
    /// - Throws: `ConnectionSetupError` when the credential files cannot be loaded (not PEM,
    ///   a key that does not fit the certificate).
    public static func transport(target: HostPort, credentials: ClientCredentials) throws(ConnectionSetupError) -> HTTP2ClientTransport.Posix {
        do {
            return try .http2NIOPosix(
                target: resolvableTarget(target),
                transportSecurity: .mTLS(
                    certificateChain: [.file(path: credentials.certificatePath, format: .pem)],
                    privateKey: .file(path: credentials.privateKeyPath, format: .pem)
                ) { tls in
                    tls.trustRoots = .certificates([.file(path: credentials.caCertificatePath, format: .pem)])
                }
            )
        } catch {
            throw ConnectionSetupError(
                "cannot load the mutual-TLS credentials (CA '\(credentials.caCertificatePath)', certificate '\(credentials.certificatePath)', key '\(credentials.privateKeyPath)')",
                cause: error
            )
        }
    }

    /// Where the transport connects: an IP address as it is, anything else (`3com.example`
    /// included) as a DNS name; `HostPort.hostKind` tells which.
    static func resolvableTarget(_ target: HostPort) -> any ResolvableTarget {
        switch target.hostKind {
        case .ipv4: ResolvableTargets.IPv4(addresses: [.init(host: target.host, port: target.port)])
        case .ipv6: ResolvableTargets.IPv6(addresses: [.init(host: target.host, port: target.port)])
        case .dns: ResolvableTargets.DNS(host: target.host, port: target.port)
        }
    }

    /// Runs `body` with a connected client and closes the connection afterwards.
    public static func withClient<Result: Sendable>(
        target: HostPort,
        credentials: ClientCredentials,
        _ body: (KMSServiceClient) async throws -> Result
    ) async throws -> Result {
        try await withGRPCClient(transport: transport(target: target, credentials: credentials)) { client in
            try await body(KMSServiceClient(wrapping: client))
        }
    }
}
