import Foundation
import KMSAudit
import KMSCrypto

extension ServerConfiguration {
    /// Where and how the audit trail is written (`audit:` in the configuration file).
    public struct Audit: Sendable, Equatable {
        /// The allowed file sizes at which the log moves to a new file: 64 KiB to 16 GiB.
        public static let maxFileBytesRange = (64 << 10)...(16 << 30)
        /// The allowed times between checkpoints: one second to a day.
        public static let checkpointSecondsRange = 1...86_400

        /// The audit directory; `nil` means `<data_dir>/audit`.
        public var directory: String?
        /// Whether records are synced to disk before responses (group commit).
        public var fsync: Bool
        /// The size at which the log moves to a new file.
        public var maxFileBytes: Int
        /// Whether records carry encryption context values in the clear.
        public var logContextValues: Bool
        /// The time between signed checkpoints (written only when records were added).
        public var checkpointSeconds: Int
        /// The second sink of checkpoints, best on another volume; `nil` for none.
        public var checkpointFile: String?

        public init(
            directory: String? = nil,
            fsync: Bool = true,
            maxFileBytes: Int = AuditLogOptions.defaultMaxFileBytes,
            logContextValues: Bool = false,
            checkpointSeconds: Int = AuditLogOptions.defaultCheckpointSeconds,
            checkpointFile: String? = nil
        ) {
            self.directory = directory
            self.fsync = fsync
            self.maxFileBytes = maxFileBytes
            self.logContextValues = logContextValues
            self.checkpointSeconds = checkpointSeconds
            self.checkpointFile = checkpointFile
        }

        /// Checks the settings.
        ///
        /// - Throws: `ConfigurationError` naming `audit.max_file_bytes` or
        ///   `audit.checkpoint_seconds` when it is out of range.
        public func validate() throws(ConfigurationError) {
            guard Self.maxFileBytesRange.contains(maxFileBytes) else {
                throw ConfigurationError(
                    "audit.max_file_bytes: \(maxFileBytes) is outside \(Self.maxFileBytesRange.lowerBound)–\(Self.maxFileBytesRange.upperBound)"
                )
            }
            guard Self.checkpointSecondsRange.contains(checkpointSeconds) else {
                throw ConfigurationError(
                    "audit.checkpoint_seconds: \(checkpointSeconds) is outside \(Self.checkpointSecondsRange.lowerBound)–\(Self.checkpointSecondsRange.upperBound)"
                )
            }
        }
    }

    /// The audit log's options, with the directory resolved against the data directory, and
    /// this node's id (`cluster.node_id`, by default the host name) for the records' `node`.
    var auditLogOptions: AuditLogOptions {
        AuditLogOptions(
            directory: audit.directory ?? (dataDirectory as NSString).appendingPathComponent("audit"),
            node: cluster.nodeID,
            sync: audit.fsync,
            maxFileBytes: audit.maxFileBytes,
            logContextValues: audit.logContextValues,
            checkpointSeconds: audit.checkpointSeconds,
            checkpointFile: audit.checkpointFile
        )
    }

    /// The public key that verifies this server's audit signatures and checkpoints, as PEM
    /// (`kmsd audit export-verification-key`), and its key id: derived from the root key in
    /// `root_key_file` (`RootKey.auditSigningKey()`), the same on every node given that key.
    ///
    /// - Throws: `StartupError` when the root key file is missing, unreadable, readable by
    ///   others, or not a root key.
    public func auditVerificationKey() throws -> (pem: String, keyID: String) {
        guard let rootKey = try RootKeyFile.load(path: rootKeyFile) else {
            throw StartupError("the root key file \(rootKeyFile) does not exist; the audit verification key is derived from it")
        }
        let key = AuditVerificationKey(signingKey: rootKey.auditSigningKey())
        return (key.pemRepresentation, key.keyID)
    }

    /// Reads the `audit:` mapping; relative paths go through `path`.
    static func audit(_ value: ConfigValue, path: (String) -> String) throws -> Audit {
        let fields = try value.mapping(
            at: "audit", allowed: ["directory", "fsync", "max_file_bytes", "log_context_values", "checkpoint_seconds", "checkpoint_file"]
        )
        var audit = Audit()
        if let directory = fields["directory"] { audit.directory = path(try directory.string(at: "audit.directory")) }
        if let fsync = fields["fsync"] { audit.fsync = try fsync.bool(at: "audit.fsync") }
        if let clear = fields["log_context_values"] { audit.logContextValues = try clear.bool(at: "audit.log_context_values") }
        if let file = fields["checkpoint_file"] { audit.checkpointFile = path(try file.string(at: "audit.checkpoint_file")) }
        if let seconds = fields["checkpoint_seconds"] {
            guard case .number(let number) = seconds, let whole = Int(exactly: number) else {
                throw ConfigurationError("audit.checkpoint_seconds must be a whole number of seconds")
            }
            audit.checkpointSeconds = whole
        }
        if let size = fields["max_file_bytes"] {
            guard case .number(let number) = size, let bytes = Int(exactly: number) else {
                throw ConfigurationError("audit.max_file_bytes must be a whole number of bytes")
            }
            audit.maxFileBytes = bytes
        }
        try audit.validate()
        return audit
    }
}
