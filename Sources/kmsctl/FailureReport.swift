import Foundation
import GRPCCore
import GRPCProtobuf
import KMSClient

/// Turns any failure into the one line kmsctl prints on stderr.
enum FailureReport {
    /// Writes `line(for: error)` and a newline to stderr.
    static func write(_ error: any Error) {
        FileHandle.standardError.write(Data((line(for: error) + "\n").utf8))
    }

    /// The line for `error`: `kmsctl: <REASON> (<gRPC code>): <message>` for a failed RPC
    /// whose status carries a `google.rpc.ErrorInfo`, `kmsctl: <gRPC code>: <message>` for
    /// one without (a transport failure, with its cause), else `kmsctl: <message>`.
    static func line(for error: any Error) -> String {
        switch error {
        case let rpc as RPCError:
            return "kmsctl: " + describe(rpc)
        case let envelope as EnvelopeFileError:
            return "kmsctl: \(envelope.message)"
        default:
            return "kmsctl: \(error)"
        }
    }

    private static func describe(_ error: RPCError) -> String {
        let code = error.code.canonicalName
        let status = (try? error.unpackGoogleRPCStatus()) ?? nil
        if let reason = status?.details.compactMap(\.errorInfo).first?.reason {
            return "\(reason) (\(code)): \(error.message)"
        }
        guard let cause = error.cause else { return "\(code): \(error.message)" }
        return "\(code): \(error.message) (cause: \(cause))"
    }
}
