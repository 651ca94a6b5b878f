import ArgumentParser
import Foundation
import GRPCCore
import KMSClient
import KMSCore
import KMSProto
import SwiftProtobuf

/// The options every server subcommand takes: where the server is, the mutual-TLS
/// credentials, the call timeout and the output format.
///
/// Each credential file comes from its option, else its environment variable, else the
/// admin credentials that `kmsd dev` writes into `--dev-dir`.
struct GlobalOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The server, host:port or [ipv6]:port (default: $KMS_TARGET, else 127.0.0.1:8443).", valueName: "host:port"))
    var target: String?

    @Option(help: ArgumentHelp("CA certificate (PEM) the server's certificate must chain to (default: $KMS_CA).", valueName: "file"))
    var ca: String?

    @Option(help: ArgumentHelp("Client certificate (PEM) (default: $KMS_CERT).", valueName: "file"))
    var cert: String?

    @Option(name: .customLong("cert-key"), help: ArgumentHelp("Private key (PEM) of the client certificate (default: $KMS_CERT_KEY).", valueName: "file"))
    var certKey: String?

    @Option(name: .customLong("dev-dir"), help: ArgumentHelp("Directory of `kmsd dev`, whose certs/ supply the credentials not given otherwise.", valueName: "dir"))
    var devDirectory: String = ".kms-dev"

    @Option(help: ArgumentHelp("Seconds to wait for the server's answer.", valueName: "seconds"))
    var timeout: Int = 30

    @Flag(help: "Print the response as one JSON object (bytes fields in base64).")
    var json = false

    /// The default server when neither --target nor $KMS_TARGET is given.
    static let defaultTarget = "127.0.0.1:8443"

    func validate() throws {
        _ = try hostPort()
        guard timeout > 0 else { throw ValidationError("--timeout must be a positive number of seconds") }
    }

    /// The server address from --target, $KMS_TARGET or the default.
    ///
    /// - Throws: `ValidationError` when the address is not `host:port`.
    func hostPort() throws(ValidationError) -> HostPort {
        let text = target ?? Self.environment("KMS_TARGET") ?? Self.defaultTarget
        guard let hostPort = HostPort(parsing: text) else {
            throw ValidationError("'\(text)' is not host:port (from --target or $KMS_TARGET)")
        }
        return hostPort
    }

    /// The credential files to use, each from its option, its environment variable or `--dev-dir`.
    var credentials: ClientCredentials {
        let dev = ClientCredentials.dev(directory: devDirectory)
        return ClientCredentials(
            caCertificatePath: ca ?? Self.environment("KMS_CA") ?? dev.caCertificatePath,
            certificatePath: cert ?? Self.environment("KMS_CERT") ?? dev.certificatePath,
            privateKeyPath: certKey ?? Self.environment("KMS_CERT_KEY") ?? dev.privateKeyPath
        )
    }

    /// The options of every call: the --timeout deadline.
    var callOptions: CallOptions {
        var options = CallOptions.defaults
        options.timeout = .seconds(timeout)
        return options
    }

    /// Connects to the server, runs `body` with the KMS client and closes the connection.
    ///
    /// - Throws: `CommandFailure` when a credential file is unreadable; `RPCError` from the
    ///   transport or the call; whatever `body` throws.
    func withClient<Result: Sendable>(_ body: (KMSServiceClient) async throws -> Result) async throws -> Result {
        let credentials = try checkedCredentials()
        return try await KMSConnection.withClient(target: try hostPort(), credentials: credentials, body)
    }

    /// Connects to the server, runs `body` with the gRPC health client and closes the connection.
    ///
    /// - Throws: as `withClient`.
    func withHealthClient<Result: Sendable>(_ body: (HealthClient) async throws -> Result) async throws -> Result {
        let transport = try KMSConnection.transport(target: try hostPort(), credentials: try checkedCredentials())
        return try await withGRPCClient(transport: transport) { client in
            try await body(HealthClient(wrapping: client))
        }
    }

    /// Prints `response` as JSON with --json; otherwise runs `human`, which prints it for people.
    ///
    /// - Throws: what JSON encoding or `human` throws.
    func emit<Response: SwiftProtobuf.Message>(_ response: Response, human: () throws -> Void) throws {
        if json {
            print(try response.jsonString())
        } else {
            try human()
        }
    }

    private func checkedCredentials() throws(CommandFailure) -> ClientCredentials {
        let credentials = credentials
        let files = [
            ("CA certificate", credentials.caCertificatePath, "--ca or $KMS_CA"),
            ("client certificate", credentials.certificatePath, "--cert or $KMS_CERT"),
            ("client private key", credentials.privateKeyPath, "--cert-key or $KMS_CERT_KEY"),
        ]
        for (what, path, source) in files where !FileManager.default.isReadableFile(atPath: path) {
            throw CommandFailure("cannot read the \(what) '\(path)'; give it with \(source), or --dev-dir for a `kmsd dev` directory")
        }
        return credentials
    }

    private static func environment(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }
}
