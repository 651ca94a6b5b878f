import Foundation
import KMSCore
import KMSServer
import Testing

@Suite struct ConfigurationTests {
    static let exampleFile = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples/kmsd.yaml")

    @Test func theExampleConfigurationLoads() throws {
        let configuration = try ServerConfiguration.load(path: Self.exampleFile.path)
        #expect(configuration.listen == HostPort(host: "127.0.0.1", port: 8443))
        #expect(configuration.dataDirectory == "/var/lib/swift-kms")
        #expect(configuration.rootKeyFile == "/etc/swift-kms/root.key")
        #expect(configuration.tls.clientCA == "/etc/swift-kms/tls/client-ca.pem")
        #expect(configuration.identityRules.count == 2)
        let policy = try #require(configuration.serverPolicy)
        #expect(policy.contains("\"2012-10-17\""))
        #expect(policy.contains("kms:GenerateRandom"))
    }

    @Test func relativePathsAndDefaults() throws {
        let configuration = try ServerConfiguration.parse(yaml: """
        listen: "[::1]:0"
        data_dir: data
        tls: {certificate: s.pem, private_key: k.pem, client_ca: ca.pem}
        """, relativeTo: "/srv/kms")
        #expect(configuration.listen == HostPort(host: "::1", port: 0))
        #expect(configuration.dataDirectory == "/srv/kms/data")
        #expect(configuration.rootKeyFile == "/srv/kms/data/root.key")
        #expect(configuration.tls.certificate == "/srv/kms/s.pem")
        #expect(configuration.serverPolicy == nil)
    }

    @Test(arguments: [
        ("listen: 1.2.3.4:1\ndata_dir: d\ntls: {certificate: a, private_key: b, client_ca: c}\nlsiten: x", "lsiten"),
        ("listen: nowhere\ndata_dir: d\ntls: {certificate: a, private_key: b, client_ca: c}", "listen"),
        ("data_dir: d\ntls: {certificate: a, private_key: b, client_ca: c}", "listen"),
        ("listen: 1.2.3.4:1\ndata_dir: d\ntls: {certificate: a, client_ca: c}", "private_key"),
        ("listen: 1.2.3.4:1\ndata_dir: d\ntls: {certificate: a, private_key: b, client_ca: c}\nidentity: {rules: [{uri_sun: x, principal: p}]}", "uri_sun"),
    ])
    func mistakesAreNamed(yaml: String, named: String) {
        do {
            _ = try ServerConfiguration.parse(yaml: yaml, relativeTo: "/")
            Issue.record("accepted an invalid configuration")
        } catch {
            #expect("\(error)".contains(named), "\(error)")
        }
    }
}
