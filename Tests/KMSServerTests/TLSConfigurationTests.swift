import Foundation
import KMSServer
import Testing

/// The `tls:`, `limits:` and `identity.trusted_proxies` keys of the configuration file.
@Suite struct TLSConfigurationTests {
    static let files = "certificate: s.pem, private_key: k.pem, client_ca: ca.pem"

    /// A configuration with `tls: {<tls>}` and `extra` lines, read with `environment`.
    private static func parse(tls: String = files, _ extra: String = "", environment: [String: String] = [:]) throws -> ServerConfiguration {
        try ServerConfiguration.parse(
            yaml: "listen: 127.0.0.1:0\ndata_dir: d\ntls: {\(tls)}\n\(extra)",
            relativeTo: "/srv/kms",
            environment: environment
        )
    }

    /// Checks that parsing fails with an error naming `key`.
    private static func expectRefusal(
        tls: String = files,
        _ extra: String = "",
        environment: [String: String] = [:],
        naming key: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            let configuration = try parse(tls: tls, extra, environment: environment)
            Issue.record("accepted: \(configuration.tls)", sourceLocation: sourceLocation)
        } catch {
            #expect("\(error)".contains(key), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func theDefaults() throws {
        let configuration = try Self.parse()
        let tls = configuration.tls
        #expect(tls.certificate == "/srv/kms/s.pem")
        #expect(tls.privateKey == "/srv/kms/k.pem")
        #expect(tls.clientCA == "/srv/kms/ca.pem")
        #expect(tls.minimumVersion == .tls12)
        #expect(tls.staleCRL == .refuse)
        #expect(tls.reloadIntervalSeconds == 5)
        #expect(tls.crlFiles.isEmpty)
        #expect(tls.spiffeTrustBundles.isEmpty)
        #expect(tls.workloadAPISocket == nil)
        #expect(configuration.limits == ServerConfiguration.ConnectionLimits())
        #expect(configuration.trustedProxies.principals.isEmpty)
        #expect(configuration.trustedProxies.acceptNamesWithoutCertificate == false)
    }

    // MARK: tls.min_version

    @Test(arguments: [("\"1.3\"", ServerConfiguration.TLSSettings.MinimumVersion.tls13), ("1.3", .tls13), ("\"1.2\"", .tls12), ("1.2", .tls12)])
    func minVersion(value: String, expected: ServerConfiguration.TLSSettings.MinimumVersion) throws {
        #expect(try Self.parse(tls: Self.files + ", min_version: \(value)").tls.minimumVersion == expected)
    }

    @Test(arguments: ["\"1.1\"", "1.0", "\"TLSv1.3\"", "1.4", "[1.3]"])
    func otherMinVersionsAreRefused(value: String) {
        Self.expectRefusal(tls: Self.files + ", min_version: \(value)", naming: "tls.min_version")
    }

    // MARK: tls.stale_crl

    @Test func staleCRLIsRefuseOrAccept() throws {
        #expect(try Self.parse(tls: Self.files + ", stale_crl: accept").tls.staleCRL == .accept)
        #expect(try Self.parse(tls: Self.files + ", stale_crl: refuse").tls.staleCRL == .refuse)
    }

    @Test(arguments: ["ignore", "Accept", "true", "[accept]"])
    func otherStaleCRLValuesAreRefused(value: String) {
        Self.expectRefusal(tls: Self.files + ", stale_crl: \(value)", naming: "tls.stale_crl")
    }

    // MARK: tls.reload_interval_seconds

    @Test(arguments: [1, 60, 3600])
    func reloadIntervalsFromOneSecondToOneHourAreAccepted(seconds: Int) throws {
        #expect(try Self.parse(tls: Self.files + ", reload_interval_seconds: \(seconds)").tls.reloadIntervalSeconds == seconds)
    }

    @Test(arguments: ["0", "-1", "3601", "1.5", "\"5\"", "soon"])
    func otherReloadIntervalsAreRefused(value: String) {
        Self.expectRefusal(tls: Self.files + ", reload_interval_seconds: \(value)", naming: "tls.reload_interval_seconds")
    }

    @Test func validateRefusesAReloadIntervalOutOfRange() throws {
        var settings = ServerConfiguration.TLSSettings(certificate: "/s.pem", privateKey: "/k.pem", clientCA: "/ca.pem")
        settings.reloadIntervalSeconds = 0
        #expect(throws: ConfigurationError.self) { try settings.validate() }
        settings.reloadIntervalSeconds = 1
        #expect(throws: Never.self) { try settings.validate() }
    }

    // MARK: tls.spiffe_trust_bundles

    @Test func trustBundlesAreReadByTrustDomainWithRelativePaths() throws {
        let tls = try Self.parse(
            tls: "certificate: s.pem, private_key: k.pem, spiffe_trust_bundles: {prod.example: prod.pem, partner.example: /etc/partner.pem}"
        ).tls
        #expect(tls.spiffeTrustBundles == ["prod.example": "/srv/kms/prod.pem", "partner.example": "/etc/partner.pem"])
        // Bundles alone give clients something to chain to.
        #expect(tls.clientCA == nil)
    }

    @Test(arguments: ["Prod.Example", "prod.example/ns", "\"spiffe://prod.example\"", "\"prod example\"", "prod_example!", "\"prod.example:8443\""])
    func anInvalidTrustDomainIsRefused(trustDomain: String) {
        Self.expectRefusal(tls: Self.files + ", spiffe_trust_bundles: {\(trustDomain): b.pem}", naming: "tls.spiffe_trust_bundles")
    }

    @Test func trustBundlesMustBeAMapping() {
        Self.expectRefusal(tls: Self.files + ", spiffe_trust_bundles: [prod.pem]", naming: "tls.spiffe_trust_bundles")
    }

    @Test func withoutClientCAOrBundlesNoClientCouldConnect() {
        Self.expectRefusal(tls: "certificate: s.pem, private_key: k.pem", naming: "client_ca")
    }

    // MARK: tls.crl_files

    @Test func crlFilesAreAListWithRelativePaths() throws {
        #expect(try Self.parse(tls: Self.files + ", crl_files: [a.crl, /etc/b.crl.pem]").tls.crlFiles == ["/srv/kms/a.crl", "/etc/b.crl.pem"])
    }

    @Test(arguments: ["a.crl", "{a: b}", "[[a.crl]]"])
    func crlFilesOfAnotherShapeAreRefused(value: String) {
        Self.expectRefusal(tls: Self.files + ", crl_files: \(value)", naming: "tls.crl_files")
    }

    // MARK: tls.spiffe_workload_api

    @Test func theWorkloadAPISocketComesFromTheConfiguration() throws {
        let tls = try Self.parse(
            tls: "spiffe_workload_api: {socket: \"unix:///run/spire/agent.sock\"}",
            environment: ["SPIFFE_ENDPOINT_SOCKET": "unix:///elsewhere.sock"]
        ).tls
        #expect(tls.workloadAPISocket == "unix:///run/spire/agent.sock")
        #expect(tls.certificate == nil && tls.privateKey == nil)
    }

    @Test func withoutASocketTheWorkloadAPIIsFoundThroughTheEnvironment() throws {
        let tls = try Self.parse(tls: "spiffe_workload_api: {}", environment: ["SPIFFE_ENDPOINT_SOCKET": "unix:///run/agent.sock"]).tls
        #expect(tls.workloadAPISocket == "unix:///run/agent.sock")
    }

    @Test func withoutASocketOrEnvironmentTheWorkloadAPIIsRefused() {
        Self.expectRefusal(tls: "spiffe_workload_api: {}", naming: "SPIFFE_ENDPOINT_SOCKET")
    }

    @Test func withoutAnyCertificateTheEnvironmentNamesTheWorkloadAPI() throws {
        let tls = try Self.parse(tls: "client_ca: ca.pem", environment: ["SPIFFE_ENDPOINT_SOCKET": "unix:///run/agent.sock"]).tls
        #expect(tls.workloadAPISocket == "unix:///run/agent.sock")
        Self.expectRefusal(tls: "client_ca: ca.pem", naming: "certificate")
    }

    @Test func theEnvironmentDoesNotReplaceCertificateFilesAndBothSourcesTogetherAreRefused() throws {
        let tls = try Self.parse(environment: ["SPIFFE_ENDPOINT_SOCKET": "unix:///run/agent.sock"]).tls
        #expect(tls.workloadAPISocket == nil)
        #expect(tls.certificate == "/srv/kms/s.pem")
        Self.expectRefusal(tls: Self.files + ", spiffe_workload_api: {socket: \"unix:///run/agent.sock\"}", naming: "spiffe_workload_api")
    }

    @Test func unknownWorkloadAPIKeysAreRefused() {
        Self.expectRefusal(tls: "spiffe_workload_api: {path: /run/agent.sock}", naming: "path")
    }

    @Test func unknownTLSKeysAreRefused() {
        Self.expectRefusal(tls: Self.files + ", min_versoin: \"1.3\"", naming: "min_versoin")
    }

    // MARK: limits

    @Test func limitsAreRead() throws {
        let limits = try Self.parse("""
        limits:
          handshake_timeout_seconds: 3
          idle_timeout_seconds: 60
          max_connections: 10
          max_concurrent_streams: 16
          keepalive_interval_seconds: 30
          keepalive_timeout_seconds: 5
        """).limits
        #expect(limits.handshakeTimeoutSeconds == 3)
        #expect(limits.idleTimeoutSeconds == 60)
        #expect(limits.maxConnections == 10)
        #expect(limits.maxConcurrentStreams == 16)
        #expect(limits.keepaliveIntervalSeconds == 30)
        #expect(limits.keepaliveTimeoutSeconds == 5)
        #expect(try Self.parse("limits: {}").limits == ServerConfiguration.ConnectionLimits())
    }

    static let limitRanges: [(String, ClosedRange<Int>)] = [
        ("handshake_timeout_seconds", 1...300),
        ("idle_timeout_seconds", 1...86_400),
        ("max_connections", 1...1_000_000),
        ("max_concurrent_streams", 1...65_535),
        ("keepalive_interval_seconds", 1...86_400),
        ("keepalive_timeout_seconds", 1...3600),
    ]

    @Test(arguments: limitRanges)
    func limitsAreAcceptedAtTheEndsOfTheirRangesAndRefusedPastThem(key: String, range: ClosedRange<Int>) throws {
        #expect(throws: Never.self) { try Self.parse("limits: {\(key): \(range.lowerBound)}") }
        #expect(throws: Never.self) { try Self.parse("limits: {\(key): \(range.upperBound)}") }
        for value in ["\(range.lowerBound - 1)", "\(range.upperBound + 1)", "2.5", "\"10\""] {
            Self.expectRefusal("limits: {\(key): \(value)}", naming: "limits.\(key)")
        }
    }

    @Test func unknownLimitsAreRefused() {
        Self.expectRefusal("limits: {max_conections: 10}", naming: "max_conections")
    }

    // MARK: identity.trusted_proxies

    @Test func trustedProxiesAreRead() throws {
        let proxies = try Self.parse("""
        identity:
          trusted_proxies: ["spiffe://mesh.example/ns/*/sa/envoy", "CN=nginx,O=Example"]
          forwarded_names_without_certificate: true
        """).trustedProxies
        #expect(proxies.principals == ["spiffe://mesh.example/ns/*/sa/envoy", "CN=nginx,O=Example"])
        #expect(proxies.acceptNamesWithoutCertificate)
        #expect(try Self.parse("identity: {trusted_proxies: []}").trustedProxies.principals.isEmpty)
    }

    @Test(arguments: [
        ("identity: {trusted_proxies: spiffe://mesh.example/envoy}", "identity.trusted_proxies"),
        ("identity: {trusted_proxies: [[a]]}", "identity.trusted_proxies[0]"),
        ("identity: {forwarded_names_without_certificate: yes please}", "identity.forwarded_names_without_certificate"),
        ("identity: {trusted_proxy: [a]}", "trusted_proxy"),
    ])
    func trustedProxiesOfAnotherShapeAreRefused(extra: String, key: String) {
        Self.expectRefusal(extra, naming: key)
    }
}
