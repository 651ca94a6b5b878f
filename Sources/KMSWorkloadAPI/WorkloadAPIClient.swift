import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import Logging
import SPIFFEWorkloadAPI

/// A client of the SPIFFE Workload API (as SPIRE's agent serves it on a unix socket) that
/// keeps this workload's X.509-SVID and trust bundles current.
///
/// `run(onUpdate:)` streams `FetchX509SVID` and `FetchX509Bundles` side by side over one
/// connection, each request carrying the `workload.spiffe.io: true` header the agent
/// requires, and hands out an `X509Update` whenever either stream delivers material it
/// accepts. A stream that ends or fails is opened again after a capped exponential backoff
/// (`ReconnectBackoff`, 100 ms to 5 s by default); each failure is logged. Material that
/// fails a check (no SVID, certificates or key that do not parse, a key that is not the
/// leaf's, an empty bundle…) is logged and dropped: the caller keeps the last update it got.
///
/// Nothing is logged from the private key or any other secret.
public struct WorkloadAPIClient: Sendable {
    /// The metadata key every Workload API request must carry, with the value `true`.
    public static let securityHeaderName = "workload.spiffe.io"

    /// Where the agent listens.
    public let endpoint: WorkloadAPIEndpoint
    /// How long to wait before opening a stream again.
    public let backoff: ReconnectBackoff
    private let logger: Logger

    /// A client of the Workload API at `endpoint`; it connects when `run(onUpdate:)` runs.
    public init(
        endpoint: WorkloadAPIEndpoint,
        backoff: ReconnectBackoff = .standard,
        logger: Logger = Logger(label: "kms.workload-api")
    ) {
        self.endpoint = endpoint
        self.backoff = backoff
        var logger = logger
        logger[metadataKey: "workload_api"] = "\(endpoint)"
        self.logger = logger
    }

    /// Follows the Workload API until the task is cancelled, calling `onUpdate` with each
    /// accepted update, one at a time, in the order the material arrived.
    ///
    /// The first update comes once an SVID has arrived; bundles that arrive before it are
    /// kept and go into it. Returns normally when the task is cancelled: the streams and the
    /// connection are closed first.
    ///
    /// - Throws: only when the transport cannot be created; connection and stream failures
    ///   are retried, never thrown.
    public func run(onUpdate: (X509Update) async -> Void) async throws {
        let transport = try HTTP2ClientTransport.Posix(
            target: .unixDomainSocket(path: endpoint.socketPath),
            transportSecurity: .plaintext,
            config: .defaults { config in
                // The connection's own retries follow the same schedule as the streams'.
                config.backoff = .init(initial: backoff.initial, max: backoff.maximum, multiplier: backoff.multiplier, jitter: 0.2)
            }
        )
        let (materials, sink) = AsyncStream<Material>.makeStream()
        do {
            try await withGRPCClient(transport: transport) { grpc in
                let api = SpiffeWorkloadAPI.Client(wrapping: grpc)
                await withDiscardingTaskGroup { group in
                    group.addTask { await self.followSVIDs(api, into: sink) }
                    group.addTask { await self.followBundles(api, into: sink) }
                    var state = X509UpdateState()
                    // Ends when the task is cancelled; the group then cancels both streams.
                    for await material in materials {
                        let update: X509Update?
                        switch material {
                        case .svid(let svid): update = state.receive(svid)
                        case .bundles(let bundles): update = state.receive(bundles)
                        }
                        guard let update else { continue }
                        logger.info(
                            "Workload API X.509 material accepted",
                            metadata: [
                                "spiffe_id": "\(update.spiffeID)",
                                "serial": "\(update.leaf.serialNumber)",
                                "not_valid_after": "\(update.leaf.notValidAfter)",
                                "trust_domains": "\(update.bundles.keys.sorted().joined(separator: ","))",
                            ]
                        )
                        await onUpdate(update)
                    }
                }
            }
        } catch where Task.isCancelled {
            return
        }
    }

    /// The updates `run(onUpdate:)` hands out, as a stream that keeps only the newest one a
    /// slow reader has not taken yet. The client runs until the stream is dropped or the
    /// reading task is cancelled.
    public func x509Updates() -> AsyncStream<X509Update> {
        let (updates, continuation) = AsyncStream<X509Update>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let task = Task {
            do {
                try await run { continuation.yield($0) }
            } catch {
                logger.error("Workload API client stopped", metadata: ["error": "\(error)"])
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return updates
    }

    // MARK: - Streams

    /// Checked material from either stream, in arrival order.
    private enum Material: Sendable {
        case svid(ValidatedSVIDResponse)
        case bundles(ValidatedBundlesResponse)
    }

    /// How one stream ended: how many messages it delivered first, and the error, if any.
    private struct StreamOutcome: Sendable {
        var delivered = 0
        var error: (any Error)?
    }

    private static var securityHeader: Metadata { [securityHeaderName: "true"] }

    private func followSVIDs(
        _ api: SpiffeWorkloadAPI.Client<HTTP2ClientTransport.Posix>,
        into sink: AsyncStream<Material>.Continuation
    ) async {
        await follow(rpc: "FetchX509SVID") { logger in
            try await api.fetchX509SVID(request: ClientRequest(message: X509SVIDRequest(), metadata: Self.securityHeader)) { response in
                await Self.drain(response.messages) { message in
                    do {
                        sink.yield(.svid(try ValidatedSVIDResponse(message)))
                    } catch {
                        logger.error("Workload API X.509-SVID refused; keeping the previous material", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
    }

    private func followBundles(
        _ api: SpiffeWorkloadAPI.Client<HTTP2ClientTransport.Posix>,
        into sink: AsyncStream<Material>.Continuation
    ) async {
        await follow(rpc: "FetchX509Bundles", stopWhenUnimplemented: true) { logger in
            try await api.fetchX509Bundles(request: ClientRequest(message: X509BundlesRequest(), metadata: Self.securityHeader)) { response in
                await Self.drain(response.messages) { message in
                    do {
                        sink.yield(.bundles(try ValidatedBundlesResponse(message)))
                    } catch {
                        logger.error("Workload API X.509 bundles refused; keeping the previous bundles", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
    }

    /// Reads `messages` to its end, passing each to `deliver`, and says how it ended.
    private static func drain<Messages: AsyncSequence & Sendable>(
        _ messages: Messages,
        _ deliver: (Messages.Element) -> Void
    ) async -> StreamOutcome {
        var outcome = StreamOutcome()
        do {
            for try await message in messages {
                outcome.delivered += 1
                deliver(message)
            }
        } catch {
            outcome.error = error
        }
        return outcome
    }

    /// Opens one stream with `open` again and again, with backoff, until the task is cancelled.
    ///
    /// - Parameters:
    ///   - rpc: the method's name, for the log.
    ///   - stopWhenUnimplemented: give up on the method when the agent does not implement it
    ///     (older agents lack FetchX509Bundles; the SVID response's bundles still serve).
    ///   - open: runs one stream to its end; gets the logger to report refused messages with.
    private func follow(
        rpc: String,
        stopWhenUnimplemented: Bool = false,
        _ open: (Logger) async throws -> StreamOutcome
    ) async {
        var logger = self.logger
        logger[metadataKey: "rpc"] = "\(rpc)"
        var failures = 0
        while !Task.isCancelled {
            let outcome: StreamOutcome
            do {
                outcome = try await open(logger)
            } catch {
                outcome = StreamOutcome(error: error)
            }
            if Task.isCancelled { return }
            if stopWhenUnimplemented, let error = outcome.error as? RPCError, error.code == .unimplemented {
                logger.warning("the Workload API does not implement this method; not calling it again", metadata: ["error": "\(error)"])
                return
            }
            failures = outcome.delivered > 0 ? 1 : failures + 1
            let delay = backoff.delay(afterFailures: failures)
            if let error = outcome.error {
                logger.error(
                    "Workload API stream failed; opening it again",
                    metadata: ["error": "\(error)", "retry_in": "\(delay)", "messages": "\(outcome.delivered)"]
                )
            } else {
                logger.warning(
                    "Workload API stream ended; opening it again",
                    metadata: ["retry_in": "\(delay)", "messages": "\(outcome.delivered)"]
                )
            }
            do {
                try await Task.sleep(for: delay)
            } catch {
                return
            }
        }
    }
}
