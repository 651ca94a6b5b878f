import ArgumentParser
import Foundation
import KMSClient
import KMSCommandLine

/// Reports a failure on stderr, as one line for people or, with `--json`, as one JSON
/// object, and gives the exit status of the table in docs/KMSCTL.md (`ExitStatus`).
enum FailureReport {
    /// Whether this invocation asked for `--json`, which also makes failures JSON.
    static let json = JSONFlag.isPresent(in: CommandLine.arguments)

    /// Writes the report of `error` to stderr and returns the exit code it gives.
    static func write(_ error: any Error) -> ExitCode {
        write(FailureSummary(error))
    }

    /// Writes the report of `failure` to stderr and returns the exit code it gives.
    static func write(_ failure: FailureSummary) -> ExitCode {
        FileHandle.standardError.write(Data((report(failure, json: json) + "\n").utf8))
        return ExitCode(failure.exitStatus.rawValue)
    }

    /// The report: `failure.jsonObject`, or `kmsctl: ` and `failure.text`.
    static func report(_ failure: FailureSummary, json: Bool) -> String {
        json ? failure.jsonObject : "kmsctl: " + failure.text
    }
}
