import Foundation
import GRPCCore
import KMSCore

/// Where a command-line client connects and with what: the values behind the connection
/// options that `kmsctl` and `kms-bench` share, and their one set of defaults.
///
/// Each value comes from its option when given, else from its environment variable, else
/// from the default; the credential files default to the admin credentials that `kmsd dev`
/// writes into the dev directory. The option spellings live with the executables'
/// `ConnectionArguments` (KMSCommandLine); this type knows nothing of ArgumentParser.
public struct ConnectionOptions: Sendable, Equatable {
    /// The server when neither `--target` nor `$KMS_TARGET` is given.
    public static let defaultTarget = "127.0.0.1:8443"
    /// The directory of a `kmsd dev` server, when `--dev-dir` is not given.
    public static let defaultDevDirectory = ".kms-dev"
    /// The call deadline when `--timeout` is not given, in seconds.
    public static let defaultTimeoutSeconds = 30

    /// The environment variables that stand in for options not given.
    public enum Environment {
        public static let target = "KMS_TARGET"
        public static let ca = "KMS_CA"
        public static let cert = "KMS_CERT"
        public static let certKey = "KMS_CERT_KEY"
    }

    /// `--target`: `host:port`, or several separated by commas where a tool spreads its
    /// connections over the nodes of a cluster (`kms-bench`).
    public var target: String?
    /// `--ca`: the CA certificate (PEM) the server's certificate must chain to.
    public var ca: String?
    /// `--cert`: the client certificate (PEM).
    public var cert: String?
    /// `--cert-key`: the client certificate's private key (PEM).
    public var certKey: String?
    /// `--dev-dir`: the `kmsd dev` directory whose `certs/` supply the credentials not given.
    public var devDirectory: String
    /// `--timeout`: seconds to wait for each call's answer.
    public var timeoutSeconds: Int
    /// The environment to read the variables from.
    public var environment: [String: String]

    public init(
        target: String? = nil,
        ca: String? = nil,
        cert: String? = nil,
        certKey: String? = nil,
        devDirectory: String = ConnectionOptions.defaultDevDirectory,
        timeoutSeconds: Int = ConnectionOptions.defaultTimeoutSeconds,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.target = target
        self.ca = ca
        self.cert = cert
        self.certKey = certKey
        self.devDirectory = devDirectory
        self.timeoutSeconds = timeoutSeconds
        self.environment = environment
    }

    /// The target text: `--target`, else `$KMS_TARGET`, else `defaultTarget`.
    public var targetText: String {
        target ?? variable(Environment.target) ?? Self.defaultTarget
    }

    /// The server addresses, in the order given.
    ///
    /// - Throws: `ConnectionOptionsError` when a part is not `host:port` or there is none.
    public func targets() throws(ConnectionOptionsError) -> [HostPort] {
        let text = targetText
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        return try parts.map { (part) throws(ConnectionOptionsError) -> HostPort in
            guard let hostPort = HostPort(parsing: String(part)) else {
                throw ConnectionOptionsError("'\(part)' is not host:port (from --target or $\(Environment.target))")
            }
            return hostPort
        }
    }

    /// The one server address, for tools that talk to a single server.
    ///
    /// - Throws: `ConnectionOptionsError` when the target is not one `host:port`.
    public func singleTarget() throws(ConnectionOptionsError) -> HostPort {
        let all = try targets()
        guard all.count == 1, let only = all.first else {
            throw ConnectionOptionsError("give one host:port with --target or $\(Environment.target), not \(all.count)")
        }
        return only
    }

    /// Checks what can be checked without touching files: the target and the timeout.
    ///
    /// - Throws: `ConnectionOptionsError` naming the option.
    public func validate() throws(ConnectionOptionsError) {
        _ = try targets()
        guard timeoutSeconds > 0 else { throw ConnectionOptionsError("--timeout must be a positive number of seconds") }
    }

    /// The credential files to use, each from its option, its environment variable or the
    /// dev directory.
    public var credentials: ClientCredentials {
        let dev = ClientCredentials.dev(directory: devDirectory)
        return ClientCredentials(
            caCertificatePath: ca ?? variable(Environment.ca) ?? dev.caCertificatePath,
            certificatePath: cert ?? variable(Environment.cert) ?? dev.certificatePath,
            privateKeyPath: certKey ?? variable(Environment.certKey) ?? dev.privateKeyPath
        )
    }

    /// The credentials, once each file is known to be readable.
    ///
    /// - Throws: `ConnectionSetupError` naming the first unreadable file and where it came from.
    public func readableCredentials() throws(ConnectionSetupError) -> ClientCredentials {
        let credentials = credentials
        let files = [
            ("CA certificate", credentials.caCertificatePath, "--ca or $\(Environment.ca)"),
            ("client certificate", credentials.certificatePath, "--cert or $\(Environment.cert)"),
            ("client private key", credentials.privateKeyPath, "--cert-key or $\(Environment.certKey)"),
        ]
        for (what, path, source) in files where !FileManager.default.isReadableFile(atPath: path) {
            throw ConnectionSetupError("cannot read the \(what) '\(path)'; give it with \(source), or --dev-dir for a `kmsd dev` directory")
        }
        return credentials
    }

    /// The options of every call: the `--timeout` deadline.
    public var callOptions: CallOptions {
        var options = CallOptions.defaults
        options.timeout = .seconds(timeoutSeconds)
        return options
    }

    private func variable(_ name: String) -> String? {
        guard let value = environment[name], !value.isEmpty else { return nil }
        return value
    }
}

/// Connection options that do not make sense (a target that is not `host:port`, a timeout
/// that is not positive): a usage error.
public struct ConnectionOptionsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, naming the option.
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
