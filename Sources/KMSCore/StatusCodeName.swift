/// The names the gRPC specification gives status codes (5 → `NOT_FOUND`), shared by the
/// server's audit reasons and the command-line tools' error output.
public enum StatusCodeName {
    /// The name of status code `code`; `CODE_<n>` when it is not a defined code.
    public static func of(_ code: Int) -> String {
        names.indices.contains(code) ? names[code] : "CODE_\(code)"
    }

    private static let names = [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
        "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
        "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
        "UNAUTHENTICATED",
    ]
}
