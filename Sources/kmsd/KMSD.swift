import ArgumentParser
import Foundation
import KMSBuildInfo
import KMSServer
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import UnixSignals

/// `kmsd`: the swift-kms server.
@main
struct KMSD: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kmsd",
        abstract: "The swift-kms key management server (gRPC over mutual TLS).",
        version: "kmsd \(BuildInfo.description)",
        subcommands: [Serve.self, Dev.self, RootKeyCommand.self, StoreCommand.self, BackupCommand.self, RestoreCommand.self, AuditCommand.self]
    )
}

/// `kmsd serve --config FILE`: runs the server from a configuration file.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server from a YAML configuration file.")

    @Option(name: .long, help: "The configuration file (see docs/CONFIGURATION.md).")
    var config: String

    @Option(name: .long, help: "Log line format, text or json (overrides log.format).")
    var logFormat: String?

    @Option(name: .long, help: "Lowest level logged: trace, debug, info, notice, warning, error, critical (overrides log.level).")
    var logLevel: String?

    func run() async throws {
        var configuration = await ServerRunner.orExit { try ServerConfiguration.load(path: config) }
        if let logFormat {
            guard let format = ServerConfiguration.Operations.LogFormat(rawValue: logFormat) else {
                throw ValidationError("--log-format must be text or json")
            }
            configuration.operations.logFormat = format
        }
        if let logLevel {
            guard let level = Logger.Level(rawValue: logLevel) else {
                throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            configuration.operations.logLevel = level
        }
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

    @Option(name: .long, help: "Also serve AWS KMS's JSON protocol on this address (for AWS SDKs; docs/AWS_COMPAT.md), such as 127.0.0.1:8444.")
    var awsListen: String?

    func run() async throws {
        let environment = await ServerRunner.orExit { try DevEnvironment.prepare(directory: dir, listen: listen, awsListen: awsListen) }
        FileHandle.standardOutput.write(Data((environment.banner + "\n").utf8))
        try await ServerRunner.run(environment.configuration)
    }
}

/// Runs a server in a `ServiceGroup`: SIGTERM or SIGINT shuts it down gracefully within
/// `shutdown.grace_seconds`; a second one, or the end of the grace period, cancels the
/// calls still running and `kmsd` exits with status 1. SIGHUP reloads the TLS material.
enum ServerRunner {
    static func run(_ configuration: ServerConfiguration) async throws {
        let operations = configuration.operations
        LoggingSystem.bootstrap { label in
            switch operations.logFormat {
            case .json:
                return JSONLogHandler(label: label, level: operations.logLevel)
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = operations.logLevel
                return handler
            }
        }
        let logger = Logger(label: "kmsd")
        // No core dumps (unless debug.allow_core_dumps) before the root key is read.
        await orExit(logger: logger) { try ProcessHardening.apply(configuration.debug, logger: logger) }
        let registry = operations.metricsListen.map { _ in bootstrapMetrics() }
        let server = await orExit(logger: logger) { try await KMSServer(configuration: configuration, logger: logger) }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let address = operations.healthListen {
            services.append(.init(service: server.healthProbeEndpoint(on: address)))
        }
        if let address = operations.metricsListen, let registry {
            services.append(.init(service: MetricsEndpoint(address: address, registry: registry, logger: logger)))
        }
        // Last, so that it is the first to drain on shutdown while probes and scrapes still answer.
        services.append(.init(service: server))
        var groupConfiguration = ServiceGroupConfiguration(services: services, logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(configuration.shutdown.graceSeconds)
        let group = ServiceGroup(configuration: groupConfiguration)
        let running = Task { try await group.run() }
        let signals = Task { await follow(await UnixSignalsSequence(trapping: .sigterm, .sigint, .sighup), group: group, running: running, server: server, logger: logger) }
        Task {
            if let port = try? await server.listeningPort() {
                logger.info("kmsd listening on \(configuration.listen.host):\(port)")
            }
            if let aws = configuration.awsCompat, let port = try? await server.awsCompatPort() {
                logger.info("AWS-compatible endpoint listening on \(aws.listen.host):\(port)")
            }
        }
        let result = await running.result
        signals.cancel()
        if case .failure(let error) = result {
            logger.critical("kmsd stopped: \(error)")
            Foundation.exit(1)
        }
    }

    /// Sends swift-metrics to a Prometheus registry, with request-latency buckets from
    /// 0.5 ms to 10 s.
    private static func bootstrapMetrics() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(10),
        ]
        factory.defaultValueHistogramBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
        MetricsSystem.bootstrap(factory)
        return registry
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

    /// Runs a start-up step; on failure prints the operator-facing message (through
    /// `logger` once logging is set up, so JSON logs stay JSON) and exits 1.
    static func orExit<T>(logger: Logger? = nil, _ body: () async throws -> T) async -> T {
        do {
            return try await body()
        } catch {
            if let logger {
                logger.critical("kmsd: \(error)")
            } else {
                FileHandle.standardError.write(Data("kmsd: \(error)\n".utf8))
            }
            Foundation.exit(1)
        }
    }
}
