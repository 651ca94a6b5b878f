import GRPCNIOTransportHTTP2
@testable import KMSClient
import KMSCore
import Testing

/// A host is an IP address only when `inet_pton` reads it whole; everything else, a name
/// that starts with a digit included, is resolved through DNS.
@Suite struct HostKindTests {
    @Test(arguments: ["3com.example", "localhost", "kms.internal.example", "1.2.3", "256.1.1.1", "1.2.3.4.5", "1.2.3."])
    func namesAreResolvedThroughDNS(host: String) {
        #expect(HostPort(host: host, port: 443).hostKind == .dns)
    }

    @Test(arguments: ["127.0.0.1", "0.0.0.0", "255.255.255.255"])
    func fourDecimalOctetsAreAnIPv4Address(host: String) {
        #expect(HostPort(host: host, port: 443).hostKind == .ipv4)
    }

    @Test(arguments: ["::1", "fd00::8443", "::ffff:127.0.0.1"])
    func whatInetPtonReadsAsIPv6IsAnIPv6Address(host: String) {
        #expect(HostPort(host: host, port: 443).hostKind == .ipv6)
    }

    @Test func bracketsHoldAnIPv6AddressAndNothingElse() throws {
        let parsed = try #require(HostPort(parsing: "[::1]:8443"))
        #expect(parsed == HostPort(host: "::1", port: 8443))
        #expect(parsed.hostKind == .ipv6)
        #expect(parsed.description == "[::1]:8443")
        #expect(HostPort(parsing: "[3com.example]:8443") == nil)
        #expect(HostPort(parsing: "[127.0.0.1]:8443") == nil)
        #expect(HostPort(parsing: "::1:8443") == nil, "an IPv6 address without brackets is ambiguous")
        #expect(HostPort(parsing: "3com.example:443")?.hostKind == .dns)
    }

    @Test func theClientResolvesNamesThroughDNSAndConnectsToAddressesDirectly() throws {
        let name = try #require(KMSConnection.resolvableTarget(HostPort(host: "3com.example", port: 443)) as? ResolvableTargets.DNS)
        #expect(name.host == "3com.example")
        #expect(name.port == 443)

        let ipv4 = try #require(KMSConnection.resolvableTarget(HostPort(host: "127.0.0.1", port: 8443)) as? ResolvableTargets.IPv4)
        #expect(ipv4.addresses.map(\.host) == ["127.0.0.1"])
        #expect(ipv4.addresses.map(\.port) == [8443])

        let ipv6 = try #require(KMSConnection.resolvableTarget(HostPort(host: "::1", port: 8443)) as? ResolvableTargets.IPv6)
        #expect(ipv6.addresses.map(\.host) == ["::1"])

        #expect(KMSConnection.resolvableTarget(HostPort(host: "1.2.3", port: 443)) is ResolvableTargets.DNS)
    }
}
