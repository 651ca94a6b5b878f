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
    public static func transport(target: HostPort, credentials: ClientCredentials) throws -> HTTP2ClientTransport.Posix {
        let resolvable: any ResolvableTarget = target.isIPv6
            ? .ipv6(address: target.host, port: target.port)
            : (target.host.first?.isNumber == true ? .ipv4(address: target.host, port: target.port) : .dns(host: target.host, port: target.port))
        return try .http2NIOPosix(
            target: resolvable,
            transportSecurity: .mTLS(
                certificateChain: [.file(path: credentials.certificatePath, format: .pem)],
                privateKey: .file(path: credentials.privateKeyPath, format: .pem)
            ) { tls in
                tls.trustRoots = .certificates([.file(path: credentials.caCertificatePath, format: .pem)])
            }
        )
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
