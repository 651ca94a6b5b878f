import Foundation
import KMSAudit

extension ServerConfiguration {
    /// Where and how the audit trail is written (`audit:` in the configuration file).
    public struct Audit: Sendable, Equatable {
        /// The allowed file sizes at which the log moves to a new file: 64 KiB to 16 GiB.
        public static let maxFileBytesRange = (64 << 10)...(16 << 30)

        /// The audit directory; `nil` means `<data_dir>/audit`.
        public var directory: String?
        /// Whether records are synced to disk before responses (group commit).
        public var fsync: Bool
        /// The size at which the log moves to a new file.
        public var maxFileBytes: Int
        /// Whether records carry encryption context values in the clear.
        public var logContextValues: Bool

        public init(
            directory: String? = nil,
            fsync: Bool = true,
            maxFileBytes: Int = AuditLogOptions.defaultMaxFileBytes,
            logContextValues: Bool = false
        ) {
            self.directory = directory
            self.fsync = fsync
            self.maxFileBytes = maxFileBytes
            self.logContextValues = logContextValues
        }

        /// Checks the settings.
        ///
        /// - Throws: `ConfigurationError` naming `audit.max_file_bytes` when it is out of range.
        public func validate() throws(ConfigurationError) {
            guard Self.maxFileBytesRange.contains(maxFileBytes) else {
                throw ConfigurationError(
                    "audit.max_file_bytes: \(maxFileBytes) is outside \(Self.maxFileBytesRange.lowerBound)–\(Self.maxFileBytesRange.upperBound)"
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
            logContextValues: audit.logContextValues
        )
    }

    /// Reads the `audit:` mapping; relative paths go through `path`.
    static func audit(_ value: ConfigValue, path: (String) -> String) throws -> Audit {
        let fields = try value.mapping(at: "audit", allowed: ["directory", "fsync", "max_file_bytes", "log_context_values"])
        var audit = Audit()
        if let directory = fields["directory"] { audit.directory = path(try directory.string(at: "audit.directory")) }
        if let fsync = fields["fsync"] { audit.fsync = try fsync.bool(at: "audit.fsync") }
        if let clear = fields["log_context_values"] { audit.logContextValues = try clear.bool(at: "audit.log_context_values") }
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
