import Foundation

extension BenchReport {
    /// The report for people: a few aligned lines.
    var humanText: String {
        let items = batch == 1 ? "" : ", \(batch) items per call"
        let keyCount = keys == 1 ? ", 1 key" : keys == 0 ? "" : ", \(keys) keys"
        let payloads = !op.usesPayload ? "" : ", \(payload)-byte payloads"
        let paced = rate.map { ", paced at \(Self.number($0, places: 1)) calls/s" } ?? ""
        var lines = [
            "\(op.rawValue): \(connections) connections\(idleConnections > 0 ? " (+\(idleConnections) idle)" : ""), \(concurrency) calls in flight\(paced)\(items)\(payloads)\(keyCount), \(Self.number(durationSeconds, places: 1)) s measured",
            Self.row("throughput", "\(Self.number(opsPerSecond, places: 1)) ops/s   \(Self.number(callsPerSecond, places: 1)) calls/s"),
            Self.row(
                "latency ms",
                [("p50", latencyMs.p50), ("p90", latencyMs.p90), ("p99", latencyMs.p99), ("p99.9", latencyMs.p99_9), ("max", latencyMs.max)]
                    .map { "\($0) \(Self.number($1, places: 3))" }
                    .joined(separator: "   ")
            ),
            Self.row("errors", errors.isEmpty ? "none" : errors.sorted { $0.key < $1.key }.map { "\($0) \($1)" }.joined(separator: ", ")),
        ]
        lines.append(Self.row(
            "throttled",
            throttled == 0 ? "none" : "\(throttled) calls   \(Self.number(throttledPerSecond, places: 1)) calls/s (THROTTLED: over the caller's request quota)"
        ))
        if let serverCPUSeconds {
            let perOp = serverCPUPerOpMicroseconds.map { "   \(Self.number($0, places: 1)) µs/op" } ?? ""
            lines.append(Self.row("server CPU", "\(Self.number(serverCPUSeconds, places: 2)) s\(perOp)"))
        }
        return lines.joined(separator: "\n")
    }

    private static func row(_ label: String, _ value: String) -> String {
        "  " + label.padding(toLength: 12, withPad: " ", startingAt: 0) + value
    }

    private static func number(_ value: Double, places: Int) -> String {
        String(format: "%.\(places)f", value)
    }
}
