import ArgumentParser
import Foundation
import KMSServer
import Logging

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

/// Starts a server, stops it gracefully on SIGINT or SIGTERM, and reloads its TLS
/// material on SIGHUP.
enum ServerRunner {
    static func run(_ configuration: ServerConfiguration) async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let server = await orExit { try await KMSServer(configuration: configuration) }
        let handlers: [(Int32, @Sendable () -> Void)] = [
            (SIGINT, { server.beginGracefulShutdown() }),
            (SIGTERM, { server.beginGracefulShutdown() }),
            (SIGHUP, { server.reloadTLSMaterial() }),
        ]
        let signals = handlers.map { signal, handler -> any DispatchSourceSignal in
            Foundation.signal(signal, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signal)
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
        Task {
            if let port = try? await server.listeningPort() {
                FileHandle.standardError.write(Data("kmsd listening on \(configuration.listen.host):\(port)\n".utf8))
            }
        }
        try await server.run()
        signals.forEach { $0.cancel() }
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
