import Foundation
import KMSCore
import KMSIdentity
import Yams

/// The settings of `kmsd serve`, read from a YAML file (see docs/CONFIGURATION.md).
/// Relative paths are resolved against the directory of the configuration file.
public struct ServerConfiguration: Sendable {
    /// How the background jobs run: automatic rotation of keys whose period has passed and
    /// destruction of keys whose deletion window has ended.
    public struct Jobs: Sendable, Equatable {
        /// The allowed values of `intervalSeconds`: one second to one day.
        public static let intervalSecondsRange = 1...86_400
        /// The interval used when the configuration gives none.
        public static let defaultIntervalSeconds = 60

        /// Seconds between two runs; the first run comes one interval after the start.
        public var intervalSeconds: Int

        /// Settings with `intervalSeconds` between runs; `validate()` checks them.
        public init(intervalSeconds: Int = Jobs.defaultIntervalSeconds) {
            self.intervalSeconds = intervalSeconds
        }

        /// Checks the settings.
        ///
        /// - Throws: `ConfigurationError` naming `jobs.interval_seconds` when it is outside 1–86400.
        public func validate() throws(ConfigurationError) {
            guard Self.intervalSecondsRange.contains(intervalSeconds) else {
                throw ConfigurationError(
                    "jobs.interval_seconds: \(intervalSeconds) is outside \(Self.intervalSecondsRange.lowerBound)–\(Self.intervalSecondsRange.upperBound)"
                )
            }
        }
    }

    /// How `kmsd` stops on SIGTERM or SIGINT (`shutdown:`).
    public struct Shutdown: Sendable, Equatable {
        /// The allowed values of `graceSeconds`.
        public static let graceSecondsRange = 1...3600

        /// Seconds the calls in flight have to finish; past them they are cancelled and
        /// `kmsd` exits with a non-zero status.
        public var graceSeconds: Int

        /// Settings with `graceSeconds` (default 30).
        public init(graceSeconds: Int = 30) {
            self.graceSeconds = graceSeconds
        }
    }

    /// The address to listen on.
    public var listen: HostPort
    /// The directory for the database (and, by default, the root key).
    public var dataDirectory: String
    /// The file holding the 256-bit root key; default `<data_dir>/root.key`.
    public var rootKeyFile: String
    /// The TLS listener's certificates, trust and protocol settings.
    public var tls: TLSSettings
    /// Connection limits of the listener.
    public var limits: ConnectionLimits
    /// Rules that map certificates to principals; the first match wins.
    public var identityRules: [IdentityRule]
    /// The sidecars and proxies whose `x-forwarded-client-cert` header names the real caller.
    public var trustedProxies: TrustedProxies
    /// The server policy as JSON text; `nil` allows nothing server-wide.
    public var serverPolicy: String?
    /// The background jobs' schedule.
    public var jobs: Jobs
    /// The audit trail's settings.
    public var audit: Audit
    /// How long a graceful shutdown may take.
    public var shutdown: Shutdown
    /// Metrics and health listeners, log format and level.
    public var operations: Operations
    /// Where keys are stored: SQLite in `data_dir` (default) or a shared PostgreSQL database.
    public var storage: StorageConfiguration
    /// This node's part in a cluster on a shared database.
    public var cluster: ClusterConfiguration
    /// Per-principal request quotas (`quotas:`); the first rule that matches a call applies,
    /// and a call no rule matches has none. Empty: no quotas at all.
    public var quotas: [QuotaRule]
    /// Settings for debugging `kmsd` itself (`debug:`).
    public var debug: Debug
    /// The AWS KMS-compatible endpoint (`aws_compat:`); `nil`: none.
    public var awsCompat: AWSCompat?

    public init(
        listen: HostPort,
        dataDirectory: String,
        rootKeyFile: String? = nil,
        tls: TLSSettings,
        limits: ConnectionLimits = ConnectionLimits(),
        identityRules: [IdentityRule] = [],
        trustedProxies: TrustedProxies = TrustedProxies(),
        serverPolicy: String? = nil,
        jobs: Jobs = Jobs(),
        audit: Audit = Audit(),
        shutdown: Shutdown = Shutdown(),
        operations: Operations = Operations(),
        storage: StorageConfiguration = .sqlite,
        cluster: ClusterConfiguration = ClusterConfiguration(),
        quotas: [QuotaRule] = [],
        debug: Debug = Debug(),
        awsCompat: AWSCompat? = nil
    ) {
        self.listen = listen
        self.dataDirectory = dataDirectory
        self.rootKeyFile = rootKeyFile ?? (dataDirectory as NSString).appendingPathComponent("root.key")
        self.tls = tls
        self.limits = limits
        self.trustedProxies = trustedProxies
        self.identityRules = identityRules
        self.serverPolicy = serverPolicy
        self.jobs = jobs
        self.audit = audit
        self.shutdown = shutdown
        self.operations = operations
        self.storage = storage
        self.cluster = cluster
        self.quotas = quotas
        self.debug = debug
        self.awsCompat = awsCompat
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
