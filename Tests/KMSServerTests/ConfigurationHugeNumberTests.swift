import Foundation
import KMSServer
import Testing

/// Regression tests for what the configuration fuzz target (FuzzServerConfiguration,
/// docs/TESTING.md) checks: no configuration text crashes `ServerConfiguration.parse`. A number
/// where a string is expected was turned into text with `Int(number)`, which traps for a
/// whole number past `Int.max` (`1e20`) and for `.inf`.
@Suite struct ConfigurationHugeNumberTests {
    static func yaml(dataDir: String) -> String {
        """
        listen: 127.0.0.1:8443
        data_dir: \(dataDir)
        tls:
          certificate: tls/server.pem
          private_key: tls/server-key.pem
          client_ca: tls/ca.pem
        """
    }

    @Test("a huge or infinite number where a path is expected is text, not a crash", arguments: [
        ("1e20", "/base/1e+20"), (".inf", "/base/inf"), ("-.inf", "/base/-inf"), ("9223372036854775808", "/base/9.223372036854776e+18"),
    ])
    func hugeNumbers(value: String, expected: String) throws {
        let configuration = try ServerConfiguration.parse(yaml: Self.yaml(dataDir: value), relativeTo: "/base", environment: [:])
        #expect(configuration.dataDirectory == expected)
    }

    @Test("whole numbers below 1e15 still read as integers")
    func wholeNumbers() throws {
        let configuration = try ServerConfiguration.parse(yaml: Self.yaml(dataDir: "42"), relativeTo: "/base", environment: [:])
        #expect(configuration.dataDirectory == "/base/42")
    }
}
