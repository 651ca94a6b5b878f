import Foundation
import GRPCCore
import GRPCInProcessTransport
import GRPCNIOTransportHTTP2
import KMSAudit
import KMSCore
import KMSCrypto
import KMSIdentity
import KMSPolicy
import KMSProto
import KMSService
import KMSStorage
import KMSWorkloadAPI
import Logging
import NIOPosix
import ServiceLifecycle

/// A running `kmsd`: the gRPC server over mutual TLS in front of the key service, and the
/// background jobs (automatic rotation, destruction of keys whose deletion window ended).
///
/// `init` locks the data directory (refusing to start when another `kmsd` serves it), opens
/// the database and checks the root key (refusing to start with a wrong or missing one);
/// `run()` serves and runs the jobs until `beginGracefulShutdown()` or the graceful shutdown
/// of the `ServiceGroup` it runs in.
public final class KMSServer: Service, Sendable {
    private let grpcServer: GRPCServer<HTTP2ServerTransport.Custom<MutualTLSListener>>
    private let transport: HTTP2ServerTransport.Custom<MutualTLSListener>
    private let tlsReloader: TLSFileReloader
    private let workloadAPI: WorkloadAPIFollower?
    private let store: any KeyStore
    private let dataDirectoryLock: DataDirectoryLock
    private let service: KeyManagementService
    private let auditLog: AuditLog
    private let clock: @Sendable () -> Date
    private let jobInterval: Duration
    private let logger: Logger
    private let serving = ServingState()
    private let startupMetadata: Logger.Metadata
    private let health: HealthService
    /// The AWS-compatible endpoint and the in-process gRPC server behind it, when configured.
    private let awsCompat: AWSCompatParts?

    /// Opens the server's database with the system clock.
    ///
    /// - Throws: `StartupError` or `ConfigurationError` with an operator-facing message.
    public convenience init(configuration: ServerConfiguration, logger: Logger = Logger(label: "kmsd")) async throws {
        try await self.init(configuration: configuration, clock: { Date() }, logger: logger)
    }

    /// Opens the server's database with `clock` as the time of every request and job run,
    /// so tests move time instead of sleeping.
    ///
    /// - Throws: `StartupError` or `ConfigurationError` with an operator-facing message.
    package init(
        configuration: ServerConfiguration,
        clock: @escaping @Sendable () -> Date,
        logger: Logger = Logger(label: "kmsd")
    ) async throws {
        // Known-answer tests of every crypto primitive, before anything is opened.
        try StartupSelfTest.run(logger: logger)
        self.logger = logger
        self.clock = clock
        try configuration.jobs.validate()
        try configuration.audit.validate()
        try ServerConfiguration.validate(quotas: configuration.quotas)
        self.jobInterval = .seconds(configuration.jobs.intervalSeconds)
        let serverPolicy: CompiledPolicy?
        do {
            serverPolicy = try configuration.serverPolicy.map { json throws(KMSError) in try CompiledPolicy.compile(json) }
        } catch {
            throw ConfigurationError("server_policy: \(error.message)")
        }
        let fileMaterial: TLSFileMaterial
        do {
            try configuration.tls.validate()
            fileMaterial = try TLSFileMaterial.load(configuration.tls)
        } catch {
            throw StartupError("TLS: \(error)")
        }
        try FileManager.default.createDirectory(
            atPath: configuration.dataDirectory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        let lock = try DataDirectoryLock.acquire(dataDirectory: configuration.dataDirectory)
        let store: any KeyStore
        do {
            store = try await ConfiguredKeyStore.open(configuration, logger: logger)
        } catch {
            lock.release()
            throw error
        }
        let rootKey: RootKey
        do {
            rootKey = try await ConfiguredKeyStore.rootKey(for: store, configuration: configuration)
        } catch {
            try? await store.close()
            lock.release()
            throw error
        }
        self.store = store
        self.dataDirectoryLock = lock
        do {
            auditLog = try AuditLog(
                options: configuration.auditLogOptions, contextKey: rootKey.auditContextKey(), signingKey: rootKey.auditSigningKey(), logger: logger
            )
        } catch {
            try? await store.close()
            lock.release()
            throw StartupError("the audit log cannot be opened: \(error)")
        }
        let service = KeyManagementService(
            store: store, rootKey: rootKey, serverPolicy: serverPolicy, clock: clock,
            maxStaleness: configuration.cluster.maxStaleness, logger: logger
        )
        self.service = service
        let health = HealthService(auditLog: auditLog, freshness: service.freshness, serving: serving)
        self.health = health
        let tlsMaterial = TLSMaterialStore(files: fileMaterial, staleRevocationLists: configuration.tls.staleCRL)
        startupMetadata = configuration.startupMetadata(
            serverCertificateExpiry: fileMaterial.credential.map { "\($0.leaf.notValidAfter)" } ?? "from the SPIFFE Workload API"
        )
        tlsReloader = TLSFileReloader(settings: configuration.tls, store: tlsMaterial, logger: logger)
        workloadAPI = try configuration.tls.workloadAPISocket.map { socket in
            do {
                let endpoint = try WorkloadAPIEndpoint(parsing: socket)
                return WorkloadAPIFollower(client: WorkloadAPIClient(endpoint: endpoint, logger: logger), store: tlsMaterial, logger: logger)
            } catch {
                throw StartupError("tls.spiffe_workload_api.socket: \(error)")
            }
        }
        let identityResolver = IdentityResolver(rules: configuration.identityRules)
        let peers = VerifiedPeers(resolver: identityResolver)
        let acceptor = MutualTLSAcceptor(
            minimumVersion: configuration.tls.minimumVersion, limits: configuration.limits, material: tlsMaterial, peers: peers, logger: logger
        )
        let transport = HTTP2ServerTransport.Custom(
            listenerFactory: MutualTLSListener(address: configuration.listen, acceptor: acceptor), config: .limited(by: configuration.limits)
        )
        self.transport = transport
        let kms = SizeLimitedService(KeyManagementGRPCService(service: service, auditLog: auditLog))
        let forwarded = ForwardedCallerResolver(
            proxies: configuration.trustedProxies, resolver: identityResolver, verifier: { tlsMaterial.current?.verifier }
        )
        let serving = self.serving
        let auditLog = self.auditLog
        /// The interceptors of a server of `kms.v1`, with its callers found on `connection`.
        func interceptors(_ connection: CallerIdentityInterceptor.Connection) throws -> [ConditionalInterceptor<any ServerInterceptor>] {
            [
                .apply(InFlightCallsInterceptor(state: serving), to: .services([Kms_V1_KeyManagementService.descriptor])),
                .apply(RequestMetricsInterceptor(), to: .services([Kms_V1_KeyManagementService.descriptor])),
                // Health checks need no principal (and are the benchmark's transport floor);
                // reflection streams do (kms:Reflect) and are audited like KMS calls.
                .apply(
                    CallerIdentityInterceptor(forwarded: forwarded, peers: peers, connection: connection, logger: logger),
                    to: .services(Set([Kms_V1_KeyManagementService.descriptor] + ServerReflectionService.descriptors))
                ),
                // Request quotas: after the principal is known, before any work or audit sync.
                try QuotaInterceptor.pipelineEntry(configuration.quotas, log: auditLog, clock: clock, logger: logger),
                .apply(
                    AuditInterceptor(log: auditLog, clock: clock, logger: logger),
                    to: .services(Set([Kms_V1_KeyManagementService.descriptor] + ServerReflectionService.descriptors))
                ),
            ]
        }
        self.grpcServer = GRPCServer(
            transport: transport,
            services: [
                kms,
                health,
                ServerReflectionService(service: service, listing: [Kms_V1_KeyManagementService.descriptor, Grpc_Health_V1_Health.descriptor]),
            ],
            interceptorPipeline: try interceptors(.transport)
        )
        awsCompat = try configuration.awsCompat.map { settings in
            // The AWS endpoint's requests run as RPCs of an in-process server with the same
            // service and interceptors; only the caller's connection is found differently, and
            // a request the endpoint could not read fails innermost, after it is recorded.
            let inProcess = InProcessTransport()
            let server = GRPCServer(
                transport: inProcess.server, services: [kms],
                interceptorPipeline: try interceptors(.namedByInProcessCaller) + [.apply(AWSRequestRefusalInterceptor(), to: .all)]
            )
            let client = GRPCClient(transport: inProcess.client)
            let listener = AWSCompatListener(
                address: settings.listen, acceptor: acceptor,
                endpoint: AWSCompatEndpoint(client: client, names: AWSResourceNames(settings), logger: logger),
                idleTimeout: .seconds(Int64(configuration.limits.idleTimeoutSeconds)),
                bound: MultiThreadedEventLoopGroup.singleton.next().makePromise(),
                logger: logger
            )
            return AWSCompatParts(listener: listener, server: server, client: client)
        }
    }

    /// Serves and runs the background jobs every `jobs.interval_seconds` until
    /// `beginGracefulShutdown()` is called or the service group shuts down gracefully: then
    /// health turns NOT_SERVING, the listener stops accepting, the calls in flight finish,
    /// the jobs stop, the audit log is synced and closed, the database closed and the data
    /// directory's lock released.
    ///
    /// - Throws: what the gRPC server throws when it cannot serve (for example, the address
    ///   is in use); `ShutdownCutShort` when the task was cancelled (the grace period passed,
    ///   or a second signal) while calls were still running.
    public func run() async throws {
        try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                try await serve()
            } onGracefulShutdown: {
                self.beginGracefulShutdown()
            }
        } onCancel: {
            serving.noteCancellation()
        }
    }

    private func serve() async throws {
        defer { dataDirectoryLock.release() }
        logger.info("kmsd starting", metadata: startupMetadata)
        do {
            try await ServiceGroup(configuration: .init(services: services(), logger: logger)).run()
        } catch {
            try? await closeStorage()
            throw Task.isCancelled ? cutShort() : error
        }
        if Task.isCancelled {
            try? await closeStorage()
            throw cutShort()
        }
        try await closeStorage()
    }

    /// The server's parts, each a service of the group `serve()` runs: the background jobs,
    /// the certificate reloader, the Workload API follower, the change-feed follower (with a
    /// shared store) and, last so that it drains first on shutdown, the gRPC server. The gRPC
    /// server ending (`beginGracefulShutdown()`) shuts the others down.
    private func services() -> [ServiceGroupConfiguration.ServiceConfiguration] {
        var loops: [any Service] = [
            BackgroundLoop { await self.runJobsPeriodically() },
            BackgroundLoop { await self.tlsReloader.run() },
            BackgroundLoop { await self.auditLog.runCheckpoints() },
        ]
        if let workloadAPI {
            loops.append(BackgroundLoop { try await workloadAPI.run() })
        }
        if store.isShared {
            // Read the change feed four times per staleness bound, so one slow or failed
            // read does not yet make the node refuse calls.
            let interval = (service.freshness.maxStaleness ?? .seconds(1)) / 4
            loops.append(BackgroundLoop { await self.service.followChanges(every: interval) })
        }
        // A graceful shutdown stops the services from the last to the first: the gRPC server,
        // then the AWS endpoint, then the in-process server its requests run on.
        var servers: [any Service] = []
        if let awsCompat {
            servers += [GRPCServerService(server: awsCompat.server), GRPCClientService(client: awsCompat.client), awsCompat.listener]
        }
        servers.append(GRPCServerService(server: grpcServer))
        return (loops + servers).map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .cancelGroup) }
    }

    /// Syncs and closes the audit log and closes the database, also when the server's task
    /// was cancelled (the close itself is not).
    private func closeStorage() async throws {
        auditLog.close()
        try await Task { [store] in try await store.close() }.value
    }

    /// Logs and returns the error of a shutdown that cancelled the calls still running.
    private func cutShort() -> ShutdownCutShort {
        let cut = ShutdownCutShort(callsCancelled: serving.callsCancelled)
        logger.error("shutdown cut short: \(cut)")
        return cut
    }

    /// Runs the background jobs once, now (by the server's clock): rotates every key whose
    /// rotation is due and destroys every key whose deletion window has ended.
    ///
    /// - Returns: the keys rotated and destroyed.
    /// - Throws: `KMSError` when the key store fails.
    @discardableResult
    package func runBackgroundJobsNow() async throws -> DueWorkReport {
        let report = try await service.runDueWork(now: clock(), audit: jobAudit())
        try await service.recordKeyCounts()
        if !report.rotated.isEmpty || !report.destroyed.isEmpty {
            logger.info("background jobs ran", metadata: [
                "rotated": "\(report.rotated.map(\.description))",
                "destroyed": "\(report.destroyed.map(\.description))",
            ])
        }
        return report
    }

    /// Audit records for the jobs' changes, written to the node's audit log under the job's
    /// principal (`kmsd:job/rotation`, `kmsd:job/destruction`).
    private func jobAudit() -> BackgroundJobAudit {
        BackgroundJobAudit { [auditLog, clock, logger] job in
            let builder = AuditRecordBuilder(
                log: auditLog, requestID: UUID().uuidString.lowercased(), time: clock(), action: job.action,
                principal: job.principal.description, source: nil
            )
            let facts = builder.factsRecordingIntent()
            return .init(facts: facts) { error in
                if let error { facts.noteError(error.code) }
                let records = builder.records(for: facts, failure: error.map { RPCError(ErrorMapping.status(for: $0)) })
                do {
                    try await auditLog.append(contentsOf: records)
                } catch {
                    logger.error("a background job's outcome record could not be written", metadata: [
                        "request_id": "\(builder.requestID)", "action": "\(job.action)", "error": "\(error)",
                    ])
                }
            }
        }
    }

    /// Runs the jobs every interval until cancelled; a failed run is logged and retried at
    /// the next interval. The key counts are recorded at once, then by every run.
    private func runJobsPeriodically() async {
        try? await service.recordKeyCounts()
        while true {
            do {
                try await Task.sleep(for: jobInterval)
            } catch {
                return
            }
            do {
                try await runBackgroundJobsNow()
            } catch {
                logger.error("background jobs failed; retrying at the next interval", metadata: ["error": "\(error)"])
            }
        }
    }

    /// The plaintext health listener on `address` (`health.listen`), to run beside the server
    /// in its service group.
    public func healthProbeEndpoint(on address: HostPort) -> HealthProbeEndpoint {
        HealthProbeEndpoint(address: address, health: health)
    }

    /// Reads the `tls:` files now (as on SIGHUP) and puts them in force when every one is
    /// usable; otherwise logs why and keeps the material in force.
    ///
    /// - Returns: whether the new material is in force.
    @discardableResult
    public func reloadTLSMaterial() -> Bool {
        tlsReloader.reload(reason: "reload requested")
    }

    /// The port the server listens on (useful with port 0). Waits until it is bound.
    public func listeningPort() async throws -> Int {
        let address = await transport.listeningAddress
        guard let port = address?.ipv4?.port ?? address?.ipv6?.port else {
            throw StartupError("the server is not listening on an IP address")
        }
        return port
    }

    /// The port of the AWS-compatible endpoint (useful with port 0). Waits until it is bound.
    ///
    /// - Throws: `StartupError` when `aws_compat` is not configured, or what binding threw.
    public func awsCompatPort() async throws -> Int {
        guard let awsCompat else { throw StartupError("aws_compat is not configured") }
        guard let port = try await awsCompat.listener.bound.futureResult.get().port else {
            throw StartupError("the AWS-compatible endpoint is not listening on an IP address")
        }
        return port
    }

    /// Turns health NOT_SERVING, stops accepting new RPCs and lets running ones finish.
    public func beginGracefulShutdown() {
        serving.beginStopping()
        logger.info("shutting down: no new calls; the calls in flight finish", metadata: [
            "calls_in_flight": "\(serving.callsInFlight)",
        ])
        grpcServer.beginGracefulShutdown()
    }
}

/// A shutdown that did not wait for every call: the grace period passed or a second signal
/// came, and the calls still running were cancelled.
public struct ShutdownCutShort: Error, CustomStringConvertible {
    /// The KMS calls that were running when the server was cancelled.
    public let callsCancelled: Int

    public var description: String {
        "the grace period passed or a second signal came; \(callsCancelled) call(s) in flight were cancelled"
    }
}

extension HTTP2ServerTransport.Custom<MutualTLSListener>.Config {
    /// The transport's settings: the largest message it reads (a larger one is answered by
    /// `OversizeMessageGuard`, not reset), and the connection limits.
    static func limited(by limits: ServerConfiguration.ConnectionLimits) -> Self {
        var config = Self.defaults
        config.rpc.maxRequestPayloadSize = Limits.maxTransportMessageBytes
        config.connection.maxIdleTime = .seconds(limits.idleTimeoutSeconds)
        config.connection.keepalive.time = .seconds(limits.keepaliveIntervalSeconds)
        config.connection.keepalive.timeout = .seconds(limits.keepaliveTimeoutSeconds)
        config.http2.maxConcurrentStreams = limits.maxConcurrentStreams
        config.channelDebuggingCallbacks.onAcceptHTTP2Stream = { stream in
            stream.eventLoop.makeCompletedFuture {
                try stream.pipeline.syncOperations.addHandler(
                    OversizeMessageGuard(limit: Limits.maxTransportMessageBytes), position: .first
                )
            }
        }
        return config
    }
}
