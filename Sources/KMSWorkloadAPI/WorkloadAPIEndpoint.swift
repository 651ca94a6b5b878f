import Foundation

/// Where the SPIFFE Workload API listens: a unix domain socket.
///
/// Written as the SPIFFE Workload Endpoint specification writes `SPIFFE_ENDPOINT_SOCKET`,
/// `unix:///run/spire/agent.sock` (or `unix:/run/spire/agent.sock`), or as a plain path.
public struct WorkloadAPIEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The environment variable that names the endpoint, as SPIFFE specifies.
    public static let environmentVariable = "SPIFFE_ENDPOINT_SOCKET"

    /// The socket's path in the file system.
    public let socketPath: String

    /// Reads an endpoint address.
    ///
    /// - Parameter address: `unix:///absolute/path`, `unix:/absolute/path`, or a path
    ///   without a scheme, used as it is. Percent-escapes in a URI's path are decoded.
    /// - Throws: `WorkloadAPIError` with code `invalidAddress` when the address is empty,
    ///   has another scheme (`tcp:` is not supported), a host, a relative or empty path,
    ///   a query or a fragment.
    public init(parsing address: String) throws(WorkloadAPIError) {
        guard !address.isEmpty else {
            throw WorkloadAPIError(.invalidAddress, "the Workload API address is empty")
        }
        guard Self.hasScheme(address) else {
            socketPath = address
            return
        }
        let unix = "unix:"
        guard address.lowercased().hasPrefix(unix) else {
            throw WorkloadAPIError(
                .invalidAddress,
                "the Workload API address '\(address)' is not a unix socket (unix:///path); other schemes are not supported"
            )
        }
        var rest = Substring(address.dropFirst(unix.count))
        if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
            guard rest.hasPrefix("/") else {
                throw WorkloadAPIError(
                    .invalidAddress,
                    "the Workload API address '\(address)' names a host; write unix:///absolute/path"
                )
            }
        }
        guard rest.hasPrefix("/"), rest.count > 1 else {
            throw WorkloadAPIError(.invalidAddress, "the Workload API address '\(address)' needs an absolute socket path")
        }
        guard !rest.contains("?"), !rest.contains("#") else {
            throw WorkloadAPIError(
                .invalidAddress,
                "the Workload API address '\(address)' must not have a query or a fragment"
            )
        }
        guard let path = String(rest).removingPercentEncoding else {
            throw WorkloadAPIError(.invalidAddress, "the Workload API address '\(address)' has an invalid percent-escape")
        }
        socketPath = path
    }

    /// The endpoint that `SPIFFE_ENDPOINT_SOCKET` names in `environment`, `nil` when unset.
    ///
    /// - Throws: `WorkloadAPIError` with code `invalidAddress` when the variable is set but
    ///   does not parse (see `init(parsing:)`).
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(WorkloadAPIError) -> WorkloadAPIEndpoint? {
        guard let address = environment[environmentVariable] else { return nil }
        return try WorkloadAPIEndpoint(parsing: address)
    }

    /// `unix://` followed by the socket path.
    public var description: String { "unix://\(socketPath)" }

    /// Whether `address` starts with a URI scheme (`letter *(letter / digit / + - .) ":"`).
    private static func hasScheme(_ address: String) -> Bool {
        guard let colon = address.firstIndex(of: ":"), colon != address.startIndex else { return false }
        let scheme = address[..<colon]
        guard let first = scheme.first, first.isASCII, first.isLetter else { return false }
        return scheme.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }
    }
}
