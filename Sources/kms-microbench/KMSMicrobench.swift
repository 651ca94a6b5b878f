import Foundation

/// `kms-microbench`: in-process benchmarks of the policy engine and the envelope crypto
/// core, each reported with its floor measured in the same run (see docs/PERFORMANCE.md).
///
/// Usage: `kms-microbench [--seconds S] [--audit-records N] [--json]` (S per
/// measurement, default 2; N records for the audit query timing, default 1,000,000).
@main
enum KMSMicrobench {
    static let usage = "usage: kms-microbench [--seconds S] [--audit-records N] [--json]\n"

    static func main() throws {
        let arguments = CommandLine.arguments.dropFirst()
        let seconds = option("--seconds", in: arguments, default: 2.0) { Double($0).flatMap { $0 > 0 ? $0 : nil } }
        let auditRecords = option("--audit-records", in: arguments, default: 1_000_000) { Int($0).flatMap { $0 >= 1_000 ? $0 : nil } }
        let policy = try PolicyBenchmark.run(seconds: seconds)
        let crypto = try CryptoBenchmark.run(seconds: seconds)
        let audit = try AuditQueryBenchmark.run(records: auditRecords)
        let groups = ([policy] + crypto).map { (floor: $0[0], rest: Array($0.dropFirst())) }
        if arguments.contains("--json") {
            printJSON(groups, audit: audit)
        } else {
            for group in groups {
                print(row(group.floor, ratio: nil))
                for measurement in group.rest {
                    print(row(measurement, ratio: measurement.operationsPerSecond / group.floor.operationsPerSecond))
                }
            }
            for step in audit {
                print("audit: " + step.name.padding(toLength: 57, withPad: " ", startingAt: 0) + String(format: "%14.3f s", step.seconds))
            }
        }
    }

    /// The value after `name`, read by `parse`; `fallback` when absent. Exits with the
    /// usage on a value `parse` refuses.
    private static func option<Value>(
        _ name: String, in arguments: ArraySlice<String>, default fallback: Value, _ parse: (String) -> Value?
    ) -> Value {
        guard let index = arguments.firstIndex(of: name) else { return fallback }
        guard arguments.index(after: index) < arguments.endIndex, let value = parse(arguments[arguments.index(after: index)]) else {
            FileHandle.standardError.write(Data(usage.utf8))
            exit(64)
        }
        return value
    }

    private static func row(_ measurement: Measurement, ratio: Double?) -> String {
        let name = measurement.name.padding(toLength: 64, withPad: " ", startingAt: 0)
        let rate = String(format: "%14.0f ops/s", measurement.operationsPerSecond)
        return name + rate + (ratio.map { String(format: "  %5.3f × floor", $0) } ?? "")
    }

    private static func printJSON(_ groups: [(floor: Measurement, rest: [Measurement])], audit: [AuditQueryBenchmark.Step]) {
        let results: [[String: Any]] = groups.flatMap { group in
            ([group.floor] + group.rest).map { measurement in
                [
                    "name": measurement.name,
                    "ops_per_second": measurement.operationsPerSecond,
                    "ratio_to_floor": measurement.operationsPerSecond / group.floor.operationsPerSecond,
                ]
            }
        }
        let auditSteps: [[String: Any]] = audit.map { ["name": $0.name, "seconds": $0.seconds] }
        if let data = try? JSONSerialization.data(withJSONObject: ["results": results, "audit": auditSteps], options: [.prettyPrinted, .sortedKeys]),
           let text = String(data: data, encoding: .utf8) {
            print(text)
        }
    }
}
