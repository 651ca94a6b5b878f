import GRPCCore
import KMSClient
import KMSCore
import KMSProto
import NIOSSL

/// One run: connect, resolve the keys, prepare the requests, run the workers (and the
/// server CPU sampler) over the window, and merge what they saw.
struct Benchmark: Sendable {
    let plan: BenchPlan
    /// The server's addresses; connections are spread over them.
    let targets: [HostPort]
    let credentials: ClientCredentials
    /// The options of every call, preparatory or measured: the `--timeout` deadline.
    let callOptions: CallOptions
    /// Existing keys to use; empty to create `plan.keys` keys.
    let keyIDs: [String]
    /// Whether to use the server's keys before creating new ones.
    let reuseKeys: Bool
    /// The server's CPU clock, with `--server-pid`.
    let serverCPU: ServerCPUClock?
    /// The AWS-compatible endpoint, with `--aws-target`.
    var awsTarget: HostPort? = nil

    /// Runs the benchmark.
    ///
    /// - Throws: `BenchFailure` when setting up fails, or when no measured call or item
    ///   succeeded and some failed (with the first failure).
    func run() async throws -> BenchReport {
        let options = callOptions
        let (tally, cpuSeconds) = try await ClientPool.withConnections(count: plan.connections, targets: targets, credentials: credentials) { connections in
            let keys = plan.operation.usesKeys
                ? try await BenchKeys.resolve(
                    given: keyIDs, count: plan.keys, spec: plan.operation.keySpec, reuse: reuseKeys, on: connections[0], options: options
                )
                : []
            let workload = try await Workload.prepare(plan, keys: keys, on: connections[0], options: options)
            return try await ClientPool.withConnections(count: plan.idleConnections, targets: targets, credentials: credentials) { idle in
                try await Self.connect(idle, options: options)
                return try await measure(workload, on: connections)
            }
        }
        if tally.items == 0, let first = tally.firstError {
            throw BenchFailure("every measured call failed; the first: \(first.message)")
        }
        return BenchReport(plan: plan, tally: tally, serverCPUSeconds: cpuSeconds)
    }

    /// Makes one health check on each of `connections` (64 at a time) so that each holds an
    /// established mutual-TLS connection.
    private static func connect(_ connections: [BenchConnection], options: CallOptions) async throws {
        for start in stride(from: 0, to: connections.count, by: 64) {
            try await withThrowingDiscardingTaskGroup { group in
                for connection in connections[start..<min(start + 64, connections.count)] {
                    group.addTask {
                        do {
                            _ = try await connection.health.check(Grpc_Health_V1_HealthCheckRequest(), options: options)
                        } catch {
                            throw BenchFailure("opening the idle connections", because: error)
                        }
                    }
                }
            }
        }
    }

    /// Where the workers connect to the AWS-compatible endpoint; `nil` when the operation
    /// does not call it.
    ///
    /// - Throws: `BenchFailure` without `--aws-target`, or when the credentials are unusable.
    private func awsEndpoint() throws -> (target: HostPort, context: NIOSSLContext)? {
        guard plan.operation.usesAWSEndpoint else { return nil }
        guard let awsTarget else { throw BenchFailure("--op \(plan.operation.rawValue) needs --aws-target HOST:PORT") }
        do {
            return (awsTarget, try AWSExchange.tlsContext(credentials))
        } catch {
            throw BenchFailure("setting up the mutual-TLS context of the AWS endpoint", because: error)
        }
    }

    /// Runs the workers over the window and samples the server's CPU at its edges.
    private func measure(_ workload: Workload, on connections: [BenchConnection]) async throws -> (Tally, Double?) {
        let now = ContinuousClock.now
        let window = MeasurementWindow(after: now, warmup: plan.warmup, duration: plan.duration)
        let pacer = plan.rate.map { Pacer(rate: $0, start: now) }
        async let cpuSeconds = serverCPU?.seconds(during: window)
        let awsEndpoint = try awsEndpoint()
        let tally = await withTaskGroup(of: Tally.self) { group in
            for number in 0..<plan.concurrency {
                let worker = Worker(
                    number: number, connection: connections[plan.connection(ofWorker: number)], workload: workload, window: window, pacer: pacer,
                    awsEndpoint: awsEndpoint
                )
                group.addTask { await worker.run() }
            }
            return await group.reduce(into: Tally()) { $0.merge($1) }
        }
        return (tally, try await cpuSeconds)
    }
}
