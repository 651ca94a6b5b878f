import GRPCCore
import GRPCNIOTransportHTTP2
import KMSCore
import ServiceLifecycle

/// The standard `grpc.health.v1` service on plaintext HTTP/2 (`health.listen`), for probes
/// that hold no client certificate, such as kubelet's gRPC probe. Nothing else is served
/// there; it reports what the mTLS listener's health service reports. Runs until the
/// service group shuts down (after the server itself has drained, so probes see
/// NOT_SERVING meanwhile).
public struct HealthProbeEndpoint: Service {
    let address: HostPort
    let health: HealthService

    public func run() async throws {
        let server = GRPCServer(
            transport: HTTP2ServerTransport.Posix(address: .ipv4OrIPv6(address), transportSecurity: .plaintext),
            services: [health]
        )
        try await withGracefulShutdownHandler {
            try await server.serve()
        } onGracefulShutdown: {
            server.beginGracefulShutdown()
        }
    }
}

extension GRPCNIOTransportCore.SocketAddress {
    /// A socket address for a listen address: IPv6 when the host has a colon.
    static func ipv4OrIPv6(_ address: HostPort) -> Self {
        address.isIPv6 ? .ipv6(host: address.host, port: address.port) : .ipv4(host: address.host, port: address.port)
    }
}
