import Foundation
import KMSCore
import KMSIdentity
import Yams

/// The settings of `kmsd serve`, read from a YAML file (see docs/CONFIGURATION.md).
/// Relative paths are resolved against the directory of the configuration file.
public struct ServerConfiguration: Sendable {
    /// Where TLS credentials live.
    public struct TLSFiles: Sendable {
        /// The server's certificate chain (PEM), leaf first.
        public var certificate: String
        /// The server's private key (PEM).
        public var privateKey: String
        /// The CA bundle (PEM) that client certificates must chain to.
        public var clientCA: String

        public init(certificate: String, privateKey: String, clientCA: String) {
            self.certificate = certificate
            self.privateKey = privateKey
            self.clientCA = clientCA
        }
    }

    /// The address to listen on.
    public var listen: HostPort
    /// The directory for the database (and, by default, the root key).
    public var dataDirectory: String
    /// The file holding the 256-bit root key; default `<data_dir>/root.key`.
    public var rootKeyFile: String
    public var tls: TLSFiles
    /// Rules that map certificates to principals; the first match wins.
    public var identityRules: [IdentityRule]
    /// The server policy as JSON text; `nil` allows nothing server-wide.
    public var serverPolicy: String?

    public init(
        listen: HostPort,
        dataDirectory: String,
        rootKeyFile: String? = nil,
        tls: TLSFiles,
        identityRules: [IdentityRule] = [],
        serverPolicy: String? = nil
    ) {
        self.listen = listen
        self.dataDirectory = dataDirectory
        self.rootKeyFile = rootKeyFile ?? (dataDirectory as NSString).appendingPathComponent("root.key")
        self.tls = tls
        self.identityRules = identityRules
        self.serverPolicy = serverPolicy
    }

    /// The SQLite database file inside the data directory.
    public var databasePath: String {
        (dataDirectory as NSString).appendingPathComponent("kms.sqlite")
    }
}

/// A configuration file that cannot be used; the message says which key and why.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
