import Foundation

/// `kms-microbench`: in-process benchmarks of the policy engine and the envelope crypto
/// core, each reported with its floor measured in the same run (see docs/PERFORMANCE.md).
///
/// Usage: `kms-microbench [--seconds S] [--json]` (S per measurement, default 2).
@main
enum KMSMicrobench {
    static func main() throws {
        let arguments = CommandLine.arguments.dropFirst()
        var seconds = 2.0
        if let index = arguments.firstIndex(of: "--seconds") {
            guard arguments.index(after: index) < arguments.endIndex,
                  let value = Double(arguments[arguments.index(after: index)]), value > 0
            else {
                FileHandle.standardError.write(Data("usage: kms-microbench [--seconds S] [--json]\n".utf8))
                exit(64)
            }
            seconds = value
        }
        let policy = try PolicyBenchmark.run(seconds: seconds)
        let crypto = try CryptoBenchmark.run(seconds: seconds)
        let groups = [(floor: policy[0], rest: Array(policy.dropFirst())), (floor: crypto[0], rest: Array(crypto.dropFirst()))]
        if arguments.contains("--json") {
            printJSON(groups)
        } else {
            for group in groups {
                print(row(group.floor, ratio: nil))
                for measurement in group.rest {
                    print(row(measurement, ratio: measurement.operationsPerSecond / group.floor.operationsPerSecond))
                }
            }
        }
    }

    private static func row(_ measurement: Measurement, ratio: Double?) -> String {
        let name = measurement.name.padding(toLength: 64, withPad: " ", startingAt: 0)
        let rate = String(format: "%14.0f ops/s", measurement.operationsPerSecond)
        return name + rate + (ratio.map { String(format: "  %5.3f × floor", $0) } ?? "")
    }

    private static func printJSON(_ groups: [(floor: Measurement, rest: [Measurement])]) {
        let results: [[String: Any]] = groups.flatMap { group in
            ([group.floor] + group.rest).map { measurement in
                [
                    "name": measurement.name,
                    "ops_per_second": measurement.operationsPerSecond,
                    "ratio_to_floor": measurement.operationsPerSecond / group.floor.operationsPerSecond,
                ]
            }
        }
        if let data = try? JSONSerialization.data(withJSONObject: ["results": results], options: [.prettyPrinted, .sortedKeys]),
           let text = String(data: data, encoding: .utf8) {
            print(text)
        }
    }
}
