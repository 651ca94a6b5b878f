import GRPCCore

/// The names the gRPC specification gives status codes (`UNAVAILABLE`), used as the keys
/// of the error counts.
enum StatusNames {
    /// The name of status code `code`, e.g. `NOT_FOUND` for 5; `CODE_<n>` when unknown.
    static func name(ofCode code: Int) -> String {
        names.indices.contains(code) ? names[code] : "CODE_\(code)"
    }

    /// The name of the status of a failed call: its code for an `RPCError`, else `UNKNOWN`.
    static func name(of error: any Error) -> String {
        guard let rpc = error as? RPCError else { return names[2] }
        return name(ofCode: rpc.code.rawValue)
    }

    private static let names = [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
        "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
        "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
        "UNAUTHENTICATED",
    ]
}
