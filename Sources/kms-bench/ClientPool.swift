import GRPCCore
import GRPCNIOTransportHTTP2
import KMSClient
import KMSCore

/// One mutual-TLS connection to the server: a gRPC client with its own transport, seen
/// through the KMS and health stubs.
struct BenchConnection: Sendable {
    let kms: KMSServiceClient
    let health: HealthClient
}

/// Opens `--connections` independent clients for the length of a run, spread round-robin
/// over the `--target` addresses (several nodes of one cluster).
enum ClientPool {
    /// Runs `body` with `count` connected clients, then shuts them down gracefully and waits
    /// for them to close.
    ///
    /// - Throws: `BenchFailure` when a transport cannot be set up (unreadable credentials);
    ///   what `body` throws.
    static func withConnections<Result: Sendable>(
        count: Int,
        targets: [HostPort],
        credentials: ClientCredentials,
        _ body: ([BenchConnection]) async throws -> Result
    ) async throws -> Result {
        let clients = try (0..<count).map { number in
            do {
                return GRPCClient(transport: try KMSConnection.transport(target: targets[number % targets.count], credentials: credentials))
            } catch {
                throw BenchFailure("setting up the mutual-TLS transport", because: error)
            }
        }
        return try await withThrowingDiscardingTaskGroup { group in
            for client in clients {
                group.addTask { try await client.runConnections() }
            }
            defer { clients.forEach { $0.beginGracefulShutdown() } }
            return try await body(clients.map { BenchConnection(kms: KMSServiceClient(wrapping: $0), health: HealthClient(wrapping: $0)) })
        }
    }
}
