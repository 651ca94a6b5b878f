import GRPCCore
import KMSClient

/// A failure that ends a run, reported as one `kms-bench: <message>` line on stderr.
struct BenchFailure: Error, CustomStringConvertible {
    /// What went wrong, naming the file, option or step; never contains secret bytes.
    let message: String

    init(_ message: String) {
        self.message = message
    }

    /// A failure of `step` (e.g. "creating keys") because of `error`.
    init(_ step: String, because error: any Error) {
        self.init("\(step): \(Self.describe(error))")
    }

    var description: String { message }

    /// The status name of a failed call's error (`UNKNOWN` for anything but an `RPCError`).
    static func statusName(of error: any Error) -> String {
        ((error as? RPCError)?.code ?? .unknown).canonicalName
    }

    /// One line for any error, as kmsctl writes it: `<REASON> (<STATUS>): <message>` for a
    /// refused call, `<STATUS>: <message> (cause: …)` for a transport failure.
    static func describe(_ error: any Error) -> String {
        FailureSummary(error).text
    }
}
