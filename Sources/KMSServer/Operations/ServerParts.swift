import GRPCCore
import ServiceLifecycle

/// A loop of the server (the background jobs, a reloader, a follower) as a service: it runs
/// until the group shuts down, which cancels it (the loops end when cancelled).
struct BackgroundLoop: Service {
    let body: @Sendable () async throws -> Void

    init(_ body: @escaping @Sendable () async throws -> Void) {
        self.body = body
    }

    func run() async throws {
        try await cancelWhenGracefulShutdown { try await body() }
    }
}

/// A gRPC server as a service: on graceful shutdown it stops accepting and lets the calls
/// in flight finish.
struct GRPCServerService<Transport: ServerTransport>: Service {
    let server: GRPCServer<Transport>

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await server.serve()
        } onGracefulShutdown: {
            server.beginGracefulShutdown()
        }
    }
}

/// A gRPC client as a service: it runs its connections until graceful shutdown.
struct GRPCClientService<Transport: ClientTransport>: Service {
    let client: GRPCClient<Transport>

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await client.runConnections()
        } onGracefulShutdown: {
            client.beginGracefulShutdown()
        }
    }
}
