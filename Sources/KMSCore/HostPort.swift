#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A network endpoint written `host:port`, or `[ipv6]:port` for IPv6.
public struct HostPort: Sendable, Equatable, CustomStringConvertible {
    /// What a host is: an IP address, used as it is, or a name to resolve.
    public enum HostKind: Sendable, Equatable {
        /// Exactly four dot-separated decimal octets 0–255 (`127.0.0.1`), as
        /// `inet_pton(AF_INET, …)` reads them.
        case ipv4
        /// An IPv6 address that `inet_pton(AF_INET6, …)` accepts (`::1`), without brackets.
        case ipv6
        /// Anything else is a DNS name: `localhost`, `3com.example`, and also `1.2.3` or
        /// `256.1.1.1`, which are not IPv4 addresses.
        case dns
    }

    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` or `[ipv6]:port` with a port from 0 to 65535; `nil` otherwise.
    /// Brackets hold an IPv6 address and nothing else, and an IPv6 address needs them.
    public init?(parsing text: String) {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            hostPart = text[text.index(after: text.startIndex)..<close]
            portPart = text[text.index(close, offsetBy: 2)...]
            guard Self.kind(of: String(hostPart)) == .ipv6 else { return nil }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
            guard !hostPart.contains(":") else { return nil }
        }
        guard !hostPart.isEmpty, let port = Int(portPart), (0...65535).contains(port) else { return nil }
        self.init(host: String(hostPart), port: port)
    }

    /// Whether the host is an IPv4 address, an IPv6 address or a name to resolve.
    public var hostKind: HostKind { Self.kind(of: host) }

    /// Whether the host is an IPv6 address.
    public var isIPv6: Bool { hostKind == .ipv6 }

    /// `host:port`, with the host in brackets when it has a colon, so the port stays apart.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Classifies `host` with `inet_pton`, which accepts only complete addresses (no
    /// shortened `1.2.3`, no octet over 255, no fifth part).
    private static func kind(of host: String) -> HostKind {
        var ipv4 = in_addr()
        if inet_pton(AF_INET, host, &ipv4) == 1 { return .ipv4 }
        var ipv6 = in6_addr()
        if inet_pton(AF_INET6, host, &ipv6) == 1 { return .ipv6 }
        return .dns
    }
}
