import Foundation
import KMSStoragePostgres

extension ServerConfiguration {
    /// Where keys are stored (`storage:` in the configuration file).
    public enum StorageConfiguration: Sendable, Equatable {
        /// The embedded SQLite database `<data_dir>/kms.sqlite`, for one `kmsd` (the default).
        case sqlite
        /// A PostgreSQL database that several `kmsd` nodes share (`storage.postgres`).
        case postgres(PostgresStoreConfiguration)
    }

    /// This node's part in a cluster of `kmsd` nodes on one database (`cluster:`).
    public struct ClusterConfiguration: Sendable, Equatable {
        /// The allowed values of `max_staleness_seconds`, in seconds.
        public static let maxStalenessSecondsRange = 0.1...60.0
        /// The allowed values of `maxStaleness`: 100 ms to one minute.
        public static let maxStalenessRange = Duration.milliseconds(100)...Duration.seconds(60)
        /// The staleness used when the configuration gives none.
        public static let defaultMaxStaleness = Duration.seconds(1)
        /// The node id used when the configuration gives none: the host name (read once).
        public static let defaultNodeID: String = ProcessInfo.processInfo.hostName
        /// The longest node id (the longest DNS name).
        public static let nodeIDMaximumLength = 253

        /// The name of this node, unique in the cluster.
        public var nodeID: String
        /// How long this node may serve a cached key or alias after another node changed it.
        public var maxStaleness: Duration

        public init(nodeID: String = ClusterConfiguration.defaultNodeID, maxStaleness: Duration = ClusterConfiguration.defaultMaxStaleness) {
            self.nodeID = nodeID
            self.maxStaleness = maxStaleness
        }

        /// Checks the settings.
        ///
        /// - Throws: `ConfigurationError` naming `cluster.node_id` or `cluster.max_staleness_seconds`.
        public func validate() throws(ConfigurationError) {
            let allowed = nodeID.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
            }
            guard allowed, (1...Self.nodeIDMaximumLength).contains(nodeID.utf8.count) else {
                throw ConfigurationError(
                    "cluster.node_id: '\(nodeID)' is not a node id: 1–\(Self.nodeIDMaximumLength) ASCII letters, digits, '.', '-' and '_' (the default is the host name)"
                )
            }
            guard Self.maxStalenessRange.contains(maxStaleness) else {
                throw ConfigurationError("cluster.max_staleness_seconds: \(maxStaleness) is outside 0.1–60 seconds")
            }
        }
    }

    /// Reads the `storage:` mapping; relative paths go through `path`.
    static func storageSettings(_ value: ConfigValue, path: (String) -> String) throws -> StorageConfiguration {
        let fields = try value.mapping(at: "storage", allowed: ["postgres"])
        guard let postgres = fields["postgres"] else { return .sqlite }
        return .postgres(try postgresSettings(postgres, path: path))
    }

    /// Reads the `cluster:` mapping (`nil` when absent). It is refused with the SQLite store,
    /// where it would have no effect; with PostgreSQL the defaults are checked too.
    static func clusterSettings(_ value: ConfigValue?, storage: StorageConfiguration) throws -> ClusterConfiguration {
        var cluster = ClusterConfiguration()
        guard case .postgres = storage else {
            guard value == nil else {
                throw ConfigurationError("cluster: applies only with storage.postgres; the SQLite store serves one kmsd")
            }
            return cluster
        }
        if let value {
            let fields = try value.mapping(at: "cluster", allowed: ["node_id", "max_staleness_seconds"])
            if let nodeID = fields["node_id"] { cluster.nodeID = try nodeID.string(at: "cluster.node_id") }
            if let staleness = fields["max_staleness_seconds"] {
                guard case .number(let seconds) = staleness, ClusterConfiguration.maxStalenessSecondsRange.contains(seconds) else {
                    throw ConfigurationError("cluster.max_staleness_seconds must be a number of seconds from 0.1 to 60")
                }
                cluster.maxStaleness = .milliseconds(Int64((seconds * 1000).rounded()))
            }
        }
        try cluster.validate()
        return cluster
    }

    private static func postgresSettings(_ value: ConfigValue, path: (String) -> String) throws -> PostgresStoreConfiguration {
        let at = "storage.postgres"
        let fields = try value.mapping(at: at, allowed: ["url", "password_file", "tls", "pool_size"])
        let url = try fields.required("url", in: at).string(at: "\(at).url")
        let passwordFile = try fields["password_file"].map { path(try $0.string(at: "\(at).password_file")) }
        let tls = try fields["tls"].map { try postgresTLS($0, path: path) }
        let poolSize = try fields["pool_size"].map { value -> Int in
            guard case .number(let number) = value, let size = Int(exactly: number) else {
                throw ConfigurationError(
                    "\(at).pool_size must be a whole number, \(PostgresStoreConfiguration.poolSizeRange.lowerBound)–\(PostgresStoreConfiguration.poolSizeRange.upperBound)"
                )
            }
            return size
        }
        var configuration: PostgresStoreConfiguration
        do {
            configuration = try PostgresStoreConfiguration(url: url, passwordFile: passwordFile, tls: tls, poolSize: poolSize)
        } catch {
            // The message names the setting and never contains the password.
            throw ConfigurationError("\(error)")
        }
        // Files named by sslrootcert, sslcert and sslkey in the URL are relative to the
        // configuration file too (those from `tls:` already are; `path` keeps absolute paths).
        configuration.tls.ca = configuration.tls.ca.map(path)
        configuration.tls.certificate = configuration.tls.certificate.map(path)
        configuration.tls.privateKey = configuration.tls.privateKey.map(path)
        return configuration
    }

    private static func postgresTLS(_ value: ConfigValue, path: (String) -> String) throws -> PostgresStoreConfiguration.TLSFiles {
        let at = "storage.postgres.tls"
        let fields = try value.mapping(at: at, allowed: ["ca", "certificate", "private_key"])
        return PostgresStoreConfiguration.TLSFiles(
            ca: try fields["ca"].map { path(try $0.string(at: "\(at).ca")) },
            certificate: try fields["certificate"].map { path(try $0.string(at: "\(at).certificate")) },
            privateKey: try fields["private_key"].map { path(try $0.string(at: "\(at).private_key")) }
        )
    }
}
