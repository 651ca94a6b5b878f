import ArgumentParser
import Foundation
import KMSServer
import Logging
import ServiceLifecycle
import UnixSignals

/// `kmsd`: the swift-kms server.
@main
struct KMSD: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kmsd",
        abstract: "The swift-kms key management server (gRPC over mutual TLS).",
        subcommands: [Serve.self, Dev.self, RootKeyCommand.self, StoreCommand.self]
    )
}

/// `kmsd serve --config FILE`: runs the server from a configuration file.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server from a YAML configuration file.")

    @Option(name: .long, help: "The configuration file (see docs/CONFIGURATION.md).")
    var config: String

    func run() async throws {
        let configuration = await ServerRunner.orExit { try ServerConfiguration.load(path: config) }
        try await ServerRunner.run(configuration)
    }
}

/// `kmsd dev`: a throwaway development server, like `vault server -dev`.
struct Dev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a development server with generated certificates and an embedded SQLite store.",
        discussion: "Creates (or reuses) a CA, a server certificate for localhost and an admin client certificate in --dir, writes a configuration whose server policy makes that admin all-powerful, and starts the server."
    )

    @Option(name: .long, help: "Directory for the dev certificates, configuration and data.")
    var dir: String = DevEnvironment.defaultDirectory

    @Option(name: .long, help: "Address to listen on.")
    var listen: String = DevEnvironment.defaultListen

    func run() async throws {
        let environment = await ServerRunner.orExit { try DevEnvironment.prepare(directory: dir, listen: listen) }
        FileHandle.standardOutput.write(Data((environment.banner + "\n").utf8))
        try await ServerRunner.run(environment.configuration)
    }
}

/// Runs a server in a `ServiceGroup`: SIGTERM or SIGINT shuts it down gracefully within
/// `shutdown.grace_seconds`; a second one, or the end of the grace period, cancels the
/// calls still running and `kmsd` exits with status 1. SIGHUP reloads the TLS material.
enum ServerRunner {
    static func run(_ configuration: ServerConfiguration) async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "kmsd")
        let server = await orExit { try await KMSServer(configuration: configuration, logger: logger) }
        var groupConfiguration = ServiceGroupConfiguration(services: [.init(service: server)], logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(configuration.shutdown.graceSeconds)
        let group = ServiceGroup(configuration: groupConfiguration)
        let running = Task { try await group.run() }
        let signals = Task { await follow(await UnixSignalsSequence(trapping: .sigterm, .sigint, .sighup), group: group, running: running, server: server, logger: logger) }
        Task {
            if let port = try? await server.listeningPort() {
                FileHandle.standardError.write(Data("kmsd listening on \(configuration.listen.host):\(port)\n".utf8))
            }
        }
        let result = await running.result
        signals.cancel()
        if case .failure(let error) = result {
            FileHandle.standardError.write(Data("kmsd: \(error)\n".utf8))
            Foundation.exit(1)
        }
    }

    /// Acts on signals until cancelled: the first SIGTERM or SIGINT starts a graceful
    /// shutdown, the next cancels `running`; SIGHUP reloads the TLS material.
    private static func follow(
        _ signals: UnixSignalsSequence, group: ServiceGroup, running: Task<Void, any Error>, server: KMSServer, logger: Logger
    ) async {
        var stopping = false
        for await signal in signals {
            switch signal {
            case .sighup:
                server.reloadTLSMaterial()
            default:
                if stopping {
                    logger.warning("second \(signal): cancelling the calls still running")
                    running.cancel()
                } else {
                    stopping = true
                    logger.info("\(signal): shutting down gracefully")
                    await group.triggerGracefulShutdown()
                }
            }
        }
    }

    /// Runs a start-up step; on failure prints the operator-facing message and exits 1.
    static func orExit<T>(_ body: () async throws -> T) async -> T {
        do {
            return try await body()
        } catch {
            FileHandle.standardError.write(Data("kmsd: \(error)\n".utf8))
            Foundation.exit(1)
        }
    }
}
