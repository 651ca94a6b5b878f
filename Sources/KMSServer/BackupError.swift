/// Why `kmsd backup` or `kmsd restore` refused or failed; the message tells the operator what
/// is wrong and what to do. Equality compares the code only.
public struct BackupError: Error, CustomStringConvertible, Equatable {
    /// What kind of refusal or failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case unsupportedStore = "unsupported store"
            case noSource = "nothing to back up"
            case outputNotEmpty = "output not empty"
            case invalidManifest = "invalid manifest"
            case checksumMismatch = "checksum mismatch"
            case rootKeyMismatch = "root key mismatch"
            case targetInUse = "target in use"
            case targetNotEmpty = "target not empty"
            case fileSystem = "file system"
            case database = "database"
        }

        private let value: Value

        /// The configuration names a store that this command does not copy (PostgreSQL).
        public static let unsupportedStore = Code(value: .unsupportedStore)
        /// There is no database to back up, or it records no root key check value.
        public static let noSource = Code(value: .noSource)
        /// The backup's output directory exists and is not empty.
        public static let outputNotEmpty = Code(value: .outputNotEmpty)
        /// The manifest is missing, unreadable, malformed, of an unknown format or version,
        /// or disagrees with the database it describes.
        public static let invalidManifest = Code(value: .invalidManifest)
        /// A file's size or SHA-256 is not the one the manifest records.
        public static let checksumMismatch = Code(value: .checksumMismatch)
        /// The configured root key is missing, unreadable, or not the one the backup's keys
        /// are wrapped under.
        public static let rootKeyMismatch = Code(value: .rootKeyMismatch)
        /// A `kmsd` holds the target data directory's lock.
        public static let targetInUse = Code(value: .targetInUse)
        /// The target store already holds keys, or is not a key store.
        public static let targetNotEmpty = Code(value: .targetNotEmpty)
        /// A file or directory could not be created, read, written or synced.
        public static let fileSystem = Code(value: .fileSystem)
        /// SQLite failed to copy or read a database.
        public static let database = Code(value: .database)

        public var description: String { value.rawValue }
    }

    public let code: Code
    /// The operator-facing message.
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public static func == (lhs: BackupError, rhs: BackupError) -> Bool { lhs.code == rhs.code }
}
