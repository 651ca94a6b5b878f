import Foundation
import KMSClient

/// The result of a run: what `--json` prints as one object, and what the human output shows.
///
/// Rates are per second of the measured window. For batch operations `ops_per_second`
/// counts successful items and `calls_per_second` batch calls; latencies are per call.
struct BenchReport: Encodable {
    /// Call latency percentiles in milliseconds (microsecond resolution).
    struct Latency: Encodable {
        var p50: Double
        var p90: Double
        var p99: Double
        var p99_9: Double
        var max: Double
    }

    var op: BenchOperation
    var connections: Int
    var idleConnections: Int
    var concurrency: Int
    var batch: Int
    var payload: Int
    var keys: Int
    /// The pair spec of `generate-data-key-pair`; absent for the other operations.
    var keyPairSpec: String?
    var durationSeconds: Double
    /// The calls per second asked for with `--rate`; absent when calls went back to back.
    var rate: Double?
    var opsPerSecond: Double
    var callsPerSecond: Double
    var latencyMs: Latency
    /// Failed calls and failed batch items by status name; empty when none failed. Calls
    /// refused `THROTTLED` are not errors: they are in `throttled`.
    var errors: [String: Int]
    /// Calls refused RESOURCE_EXHAUSTED / `THROTTLED` (the caller's request quota was used up).
    var throttled: Int
    /// `throttled` per second of the measured window.
    var throttledPerSecond: Double
    /// The server's CPU seconds over the window; only with `--server-pid`.
    var serverCPUSeconds: Double?
    /// The server's CPU microseconds per successful item; only with `--server-pid` and items done.
    var serverCPUPerOpMicroseconds: Double?

    enum CodingKeys: String, CodingKey {
        case op, connections, concurrency, batch, payload, keys, rate
        case idleConnections = "idle_connections"
        case keyPairSpec = "key_pair_spec"
        case durationSeconds = "duration_seconds"
        case opsPerSecond = "ops_per_second"
        case callsPerSecond = "calls_per_second"
        case latencyMs = "latency_ms"
        case errors, throttled
        case throttledPerSecond = "throttled_per_second"
        case serverCPUSeconds = "server_cpu_seconds"
        case serverCPUPerOpMicroseconds = "server_cpu_per_op_us"
    }

    /// The report of `plan`'s run, from the merged `tally` and the server's CPU seconds.
    init(plan: BenchPlan, tally: Tally, serverCPUSeconds: Double?) {
        op = plan.operation
        connections = plan.connections
        idleConnections = plan.idleConnections
        concurrency = plan.concurrency
        batch = plan.batch
        payload = plan.payload
        keys = plan.keys
        keyPairSpec = plan.operation == .generateDataKeyPair ? plan.keyPairSpec.displayName : nil
        durationSeconds = plan.duration
        rate = plan.rate
        opsPerSecond = Self.rounded(Double(tally.items) / plan.duration, places: 1)
        callsPerSecond = Self.rounded(Double(tally.calls) / plan.duration, places: 1)
        let milliseconds = { (microseconds: UInt64) in Self.rounded(Double(microseconds) / 1000, places: 3) }
        let histogram = tally.latencies
        latencyMs = Latency(
            p50: milliseconds(histogram.valueAtPercentile(50)),
            p90: milliseconds(histogram.valueAtPercentile(90)),
            p99: milliseconds(histogram.valueAtPercentile(99)),
            p99_9: milliseconds(histogram.valueAtPercentile(99.9)),
            max: milliseconds(histogram.totalCount == 0 ? 0 : histogram.maxRecorded)
        )
        errors = tally.errors
        throttled = tally.throttled
        throttledPerSecond = Self.rounded(Double(tally.throttled) / plan.duration, places: 1)
        self.serverCPUSeconds = serverCPUSeconds.map { Self.rounded($0, places: 3) }
        serverCPUPerOpMicroseconds = serverCPUSeconds.flatMap { seconds in
            tally.items == 0 ? nil : Self.rounded(seconds * 1e6 / Double(tally.items), places: 2)
        }
    }

    /// The report as one line of JSON, members sorted by name.
    func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    private static func rounded(_ value: Double, places: Int) -> Double {
        let scale = pow(10, Double(places))
        return (value * scale).rounded() / scale
    }
}
