import ArgumentParser
import KMSClient

/// The connection options of `kmsctl` and `kms-bench`, one spelling for both:
/// `--target`, `--ca`, `--cert`, `--cert-key`, `--dev-dir` and `--timeout`.
///
/// A thin mapping onto `ConnectionOptions`, which holds the defaults, the environment
/// variables and what the values mean.
public struct ConnectionArguments: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The server, host:port or [ipv6]:port (default: $\(ConnectionOptions.Environment.target), else \(ConnectionOptions.defaultTarget)). kms-bench takes several nodes of one cluster separated by commas.",
        valueName: "host:port"
    ))
    public var target: String?

    @Option(help: ArgumentHelp("CA certificate (PEM) the server's certificate must chain to (default: $\(ConnectionOptions.Environment.ca), else <dev-dir>/certs/ca.pem).", valueName: "file"))
    public var ca: String?

    @Option(help: ArgumentHelp("Client certificate (PEM) (default: $\(ConnectionOptions.Environment.cert), else <dev-dir>/certs/admin.pem).", valueName: "file"))
    public var cert: String?

    @Option(
        name: .customLong("cert-key"),
        help: ArgumentHelp("Private key (PEM) of the client certificate (default: $\(ConnectionOptions.Environment.certKey), else <dev-dir>/certs/admin-key.pem).", valueName: "file")
    )
    public var certKey: String?

    @Option(name: .customLong("dev-dir"), help: ArgumentHelp("Directory of `kmsd dev`, whose certs/ supply the credentials not given otherwise.", valueName: "dir"))
    public var devDirectory: String = ConnectionOptions.defaultDevDirectory

    @Option(help: ArgumentHelp("Seconds to wait for each call's answer.", valueName: "seconds"))
    public var timeout: Int = ConnectionOptions.defaultTimeoutSeconds

    public init() {}

    public func validate() throws {
        do {
            try options.validate()
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// The values given, with the environment and defaults behind them.
    public var options: ConnectionOptions {
        ConnectionOptions(target: target, ca: ca, cert: cert, certKey: certKey, devDirectory: devDirectory, timeoutSeconds: timeout)
    }
}
