import Foundation
import KMSCore
import Logging
import SQLiteNIO

/// Consistent copies of a key store database, taken while a `kmsd` may be writing to it, and
/// read-only looks at such copies: what `kmsd backup` and `kmsd restore` need from SQLite.
///
/// A snapshot is written by `VACUUM INTO` from a connection opened read-only (`mode=ro`): in
/// the write-ahead-log mode the store uses, that reader sees one committed state of the whole
/// database while the server goes on committing, and it takes no lock that blocks the
/// server's writers. (SQLiteNIO does not expose SQLite's online backup API; `VACUUM INTO`
/// also leaves out freed pages, so material a destroyed key once had is not copied.) The
/// snapshot is an ordinary rollback-journal database file that `SQLiteKeyStore.open` accepts.
public enum SQLiteSnapshot {
    /// What a snapshot (or a store's database) holds, read in one transaction.
    public struct Summary: Sendable, Equatable {
        /// `PRAGMA user_version`: the number of schema migrations applied.
        public var schemaVersion: Int
        /// Rows of the `keys` table: every key, whatever its state (destroyed keys too).
        public var keyCount: Int
        /// The root key check value the store records; `nil` when none is recorded yet.
        public var rootKeyVerifier: [UInt8]?

        public init(schemaVersion: Int, keyCount: Int, rootKeyVerifier: [UInt8]?) {
            self.schemaVersion = schemaVersion
            self.keyCount = keyCount
            self.rootKeyVerifier = rootKeyVerifier
        }
    }

    /// The schema version this code reads and writes; a snapshot with a higher one was made
    /// by a newer `kmsd`.
    public static var supportedSchemaVersion: Int { SQLiteSchema.currentVersion }

    /// How long a statement waits for a lock another connection holds before failing.
    /// A reader of a database in write-ahead-log mode practically never waits.
    static let busyTimeoutMilliseconds = 10_000

    /// Writes a consistent copy of the database at `databasePath` to `outputPath`, which must
    /// not exist: the file is created with mode 0600, filled by `VACUUM INTO` and synced
    /// (`fsync`); syncing its directory is the caller's part.
    ///
    /// Only reads the database: the connection is read-only and takes no write lock, so a
    /// `kmsd` serving the database goes on serving, writes included.
    ///
    /// - Parameters:
    ///   - databasePath: The key store database; it must exist.
    ///   - outputPath: The file to create; its directory must exist.
    ///   - logger: Receives database failures.
    /// - Throws: `KMSError` `.validation` when `databasePath` does not exist or `outputPath`
    ///   does, `.internalFailure` when the file cannot be created or the copy fails (the
    ///   file is then removed).
    public static func write(databasePath: String, to outputPath: String, logger: Logger) async throws(KMSError) {
        guard FileManager.default.fileExists(atPath: databasePath) else {
            throw KMSError(.validation, "there is no key store database at \(databasePath)")
        }
        let output = absolute(outputPath)
        // VACUUM INTO accepts an empty file and keeps its mode: created here, owner-only.
        let descriptor = Foundation.open(output, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let code = errno
            if code == EEXIST { throw KMSError(.validation, "\(output) already exists") }
            throw KMSError(.internalFailure, "cannot create \(output): \(String(cString: strerror(code)))")
        }
        _ = Foundation.close(descriptor)
        do throws(KMSError) {
            try await withConnection(uri: uri(databasePath, ["mode=ro"]), "copy the key store database", logger: logger) {
                connection async throws(KMSError) in
                _ = try await run(connection, "VACUUM INTO ?1", [.text(output)], "copy the key store database", logger: logger)
            }
            try sync(output)
        } catch {
            // A failed copy may have left part of a database: never leave it looking like one.
            _ = unlink(output)
            throw error
        }
    }

    /// Reads a snapshot file that nothing changes (a backup): checks its integrity and reads
    /// its schema version, key count and root key check value. The file is opened `immutable`:
    /// read-only, without locks, without creating any file beside it.
    ///
    /// - Throws: `KMSError` `.validation` when the file is not a key store database or fails
    ///   SQLite's integrity check, `.internalFailure` when it cannot be read.
    public static func inspect(path: String, logger: Logger) async throws(KMSError) -> Summary {
        try await withConnection(uri: uri(path, ["immutable=1"]), "read the snapshot", logger: logger) {
            connection async throws(KMSError) -> Summary in
            // The file may come from anywhere: SQLite's advice for reading untrusted databases.
            for pragma in ["PRAGMA trusted_schema = OFF", "PRAGMA cell_size_check = ON", "PRAGMA mmap_size = 0"] {
                try await run(connection, pragma, [], "read the snapshot", logger: logger)
            }
            let check = try await run(connection, "PRAGMA integrity_check", [], "check the snapshot", logger: logger)
            guard check.count == 1, check.first?.columns.first?.data == .text("ok") else {
                throw KMSError(.validation, "\(path) fails SQLite's integrity check")
            }
            return try await summary(connection, path: path, logger: logger)
        }
    }

    /// How many keys the key store database at `path` holds, read without changing it (for a
    /// restore, which writes only into an empty store). A file with no tables (an empty file)
    /// holds none. No `kmsd` may be serving the database meanwhile.
    ///
    /// - Throws: `KMSError` `.validation` when the file holds tables but is not a key store
    ///   database, `.internalFailure` when it cannot be read.
    public static func keyCount(ofStoreAt path: String, logger: Logger) async throws(KMSError) -> Int {
        try await withConnection(uri: uri(path, ["mode=ro"]), "read the existing key store", logger: logger) {
            connection async throws(KMSError) -> Int in
            let tables = try await run(
                connection, "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table'", [], "read the existing key store", logger: logger
            )
            guard tables.first?.columns.first?.data.integer != 0 else { return 0 }
            return try await summary(connection, path: path, logger: logger).keyCount
        }
    }

    /// Reads the summary in one read transaction.
    private static func summary(_ connection: SQLiteConnection, path: String, logger: Logger) async throws(KMSError) -> Summary {
        try await run(connection, "BEGIN", [], "read \(path)", logger: logger)
        do throws(KMSError) {
            let summary = try await readSummary(connection, path: path, logger: logger)
            _ = try? await connection.query("ROLLBACK")
            return summary
        } catch {
            _ = try? await connection.query("ROLLBACK")
            throw error
        }
    }

    private static func readSummary(_ connection: SQLiteConnection, path: String, logger: Logger) async throws(KMSError) -> Summary {
        let operation = "read \(path)"
        let version = try await run(connection, "PRAGMA user_version", [], operation, logger: logger).first?.columns.first?.data.integer
        let tables = try await run(
            connection, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN ('keys', 'root_key_verifier')",
            [], operation, logger: logger
        )
        guard let version, version >= 1, tables.count == 2 else {
            throw KMSError(.validation, "\(path) is not a key store database")
        }
        let count = try await run(connection, "SELECT COUNT(*) FROM keys", [], operation, logger: logger).first?.columns.first?.data.integer
        guard let count else {
            throw KMSError(.internalFailure, "the key store could not count the keys of \(path)")
        }
        let verifierRows = try await run(connection, "SELECT verifier FROM root_key_verifier WHERE id = 1", [], operation, logger: logger)
        let verifier: [UInt8]?
        switch verifierRows.first?.columns.first?.data {
        case nil: verifier = nil
        case .blob(let buffer)?: verifier = Array(buffer.readableBytesView)
        default: throw KMSError(.validation, "\(path) holds an unreadable root key check value")
        }
        return Summary(schemaVersion: version, keyCount: count, rootKeyVerifier: verifier)
    }

    /// Opens a connection to `uri`, runs `body` with it and closes it.
    private static func withConnection<T>(
        uri: String, _ operation: String, logger: Logger,
        _ body: (SQLiteConnection) async throws(KMSError) -> T
    ) async throws(KMSError) -> T {
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: .file(path: uri), logger: logger)
        } catch {
            throw SQLiteSession.wrap(error, operation: operation, logger: logger)
        }
        do throws(KMSError) {
            // SQLiteNIO's own busy handler retries without pause; SQLite's sleeps between tries.
            _ = try await run(connection, "PRAGMA busy_timeout = \(busyTimeoutMilliseconds)", [], operation, logger: logger)
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Runs one statement; a failure becomes a `KMSError` naming `operation`, logged with
    /// SQLite's message.
    @discardableResult
    private static func run(
        _ connection: SQLiteConnection, _ sql: String, _ binds: [SQLiteData], _ operation: String, logger: Logger
    ) async throws(KMSError) -> [SQLiteRow] {
        do {
            return try await connection.query(sql, binds)
        } catch {
            throw SQLiteSession.wrap(error, operation: operation, logger: logger)
        }
    }

    /// An absolute path: a relative one is taken from the current directory.
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
    }

    /// A `file:` URI for `path` with query `parameters`: every byte but unreserved ones and
    /// `/` percent-encoded, so no file name can add a parameter or end the path.
    static func uri(_ path: String, _ parameters: [String]) -> String {
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/".utf8)
        var encoded = ""
        for byte in absolute(path).utf8 {
            if unreserved.contains(byte) {
                encoded.append(Character(Unicode.Scalar(byte)))
            } else {
                encoded += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return "file:" + encoded + (parameters.isEmpty ? "" : "?" + parameters.joined(separator: "&"))
    }

    /// `fsync`s a file.
    private static func sync(_ path: String) throws(KMSError) {
        let descriptor = Foundation.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0, fsync(descriptor) == 0 else {
            let code = errno
            if descriptor >= 0 { _ = Foundation.close(descriptor) }
            throw KMSError(.internalFailure, "cannot sync \(path): \(String(cString: strerror(code)))")
        }
        _ = Foundation.close(descriptor)
    }
}
