import GRPCCore

extension RPCError.Code {
    /// The code's name as the gRPC specification writes it, e.g. `NOT_FOUND`.
    public var canonicalName: String { Self.canonicalName(ofRawValue: rawValue) }

    /// The name of a status code given as its number (5 → `NOT_FOUND`); `CODE_<n>` when
    /// the number is not a defined code.
    public static func canonicalName(ofRawValue code: Int) -> String {
        canonicalNames.indices.contains(code) ? canonicalNames[code] : "CODE_\(code)"
    }

    private static let canonicalNames = [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
        "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
        "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
        "UNAUTHENTICATED",
    ]
}
