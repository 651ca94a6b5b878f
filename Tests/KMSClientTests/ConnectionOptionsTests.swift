import ArgumentParser
import KMSClient
import KMSCommandLine
import KMSCore
import Testing

/// The connection options kmsctl and kms-bench share: spellings, precedence, defaults.
@Suite struct ConnectionOptionsTests {
    @Test func defaultsComeFromTheDevDirectory() throws {
        let options = ConnectionOptions(environment: [:])
        #expect(try options.targets() == [HostPort(host: "127.0.0.1", port: 8443)])
        #expect(options.credentials.caCertificatePath == ".kms-dev/certs/ca.pem")
        #expect(options.credentials.certificatePath == ".kms-dev/certs/admin.pem")
        #expect(options.credentials.privateKeyPath == ".kms-dev/certs/admin-key.pem")
        #expect(options.callOptions.timeout == .seconds(30))
    }

    @Test func anOptionBeatsItsVariableWhichBeatsTheDevDirectory() throws {
        let environment = ["KMS_TARGET": "kms.example:9443", "KMS_CA": "env-ca.pem", "KMS_CERT": "env.pem", "KMS_CERT_KEY": ""]
        let fromEnvironment = ConnectionOptions(devDirectory: "/d", environment: environment)
        #expect(try fromEnvironment.singleTarget() == HostPort(host: "kms.example", port: 9443))
        #expect(fromEnvironment.credentials.caCertificatePath == "env-ca.pem")
        #expect(fromEnvironment.credentials.certificatePath == "env.pem")
        #expect(fromEnvironment.credentials.privateKeyPath == "/d/certs/admin-key.pem")
        let given = ConnectionOptions(target: "[::1]:1", ca: "ca.pem", cert: "c.pem", certKey: "k.pem", environment: environment)
        #expect(try given.singleTarget() == HostPort(host: "::1", port: 1))
        #expect(given.credentials == ClientCredentials(caCertificatePath: "ca.pem", certificatePath: "c.pem", privateKeyPath: "k.pem"))
    }

    @Test func severalTargetsForKMSBenchOneForKMSCtl() throws {
        let options = ConnectionOptions(target: "a:1,b:2", environment: [:])
        #expect(try options.targets().map(\.host) == ["a", "b"])
        #expect(throws: ConnectionOptionsError.self) { try options.singleTarget() }
        #expect(throws: ConnectionOptionsError.self) { try ConnectionOptions(target: "a:1,", environment: [:]).targets() }
        #expect(throws: ConnectionOptionsError.self) { try ConnectionOptions(target: "nope", environment: [:]).validate() }
        #expect(throws: ConnectionOptionsError("--timeout must be a positive number of seconds")) {
            try ConnectionOptions(timeoutSeconds: 0, environment: [:]).validate()
        }
    }

    @Test func unreadableCredentialsNameTheFileAndWhereItCameFrom() {
        let options = ConnectionOptions(devDirectory: "/nonexistent-kms-dev", environment: [:])
        #expect(throws: ConnectionSetupError.self) { try options.readableCredentials() }
        do {
            _ = try options.readableCredentials()
        } catch {
            #expect(error.message == "cannot read the CA certificate '/nonexistent-kms-dev/certs/ca.pem'; give it with --ca or $KMS_CA, or --dev-dir for a `kmsd dev` directory")
        }
    }

    @Test func theArgumentsMapOntoTheOptions() throws {
        let parsed = try ConnectionArguments.parse(["--target", "h:1", "--ca", "a", "--cert", "b", "--cert-key", "c", "--dev-dir", "d", "--timeout", "5"])
        let options = parsed.options
        #expect(options.target == "h:1")
        #expect(options.credentials == ClientCredentials(caCertificatePath: "a", certificatePath: "b", privateKeyPath: "c"))
        #expect(options.devDirectory == "d")
        #expect(options.timeoutSeconds == 5)
        let defaults = try ConnectionArguments.parse([]).options
        #expect(defaults.devDirectory == ConnectionOptions.defaultDevDirectory)
        #expect(defaults.timeoutSeconds == ConnectionOptions.defaultTimeoutSeconds)
        #expect(throws: (any Error).self) { try ConnectionArguments.parse(["--timeout", "-1"]) }
        #expect(throws: (any Error).self) { try ConnectionArguments.parse(["--target", "no-port"]) }
        #expect(throws: (any Error).self) { try ConnectionArguments.parse(["--key", "c"]) }
    }

    @Test(arguments: [
        (["kmsctl", "whoami", "--json"], true),
        (["kmsctl", "--json"], true),
        (["kmsctl", "whoami"], false),
        (["--json"], false),
        (["kmsctl", "policy", "validate", "--", "--json"], false),
        (["kmsctl", "create-key", "--description", "--jsonish"], false),
    ])
    func findsTheJSONFlagBeforeParsing(arguments: [String], present: Bool) {
        #expect(JSONFlag.isPresent(in: arguments) == present)
    }
}
