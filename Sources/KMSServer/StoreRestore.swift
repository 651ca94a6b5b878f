import Foundation
import KMSCore
import KMSCrypto
import KMSStorageSQLite
import Logging

/// `kmsd restore`: installs a `kmsd backup` as the embedded SQLite store of a configuration,
/// after checking everything it can before writing anything.
///
/// In order: the manifest is read and checked; every file it lists has its recorded size and
/// SHA-256; the configured root key opens the manifest's root key check value (the backup's
/// keys are wrapped under that key); the backup's database passes SQLite's integrity check
/// and holds the schema version, key count and check value the manifest records. Only then
/// is the data directory created (mode 0700) when missing and its lock taken (refused while
/// a `kmsd` serves it); a store that already holds keys is refused. The database is copied
/// to a temporary file (mode 0600) whose SHA-256 is checked again, synced, and renamed into
/// place.
public enum StoreRestore {
    /// What a restore installed.
    public struct Report: Sendable, Equatable, CustomStringConvertible {
        /// The keys the restored store holds.
        public var keyCount: Int
        /// When the backup was taken.
        public var backupCreated: Date
        /// The restored database's schema version (`kmsd` migrates it forward when it starts).
        public var schemaVersion: Int
        /// Where the database now is.
        public var databasePath: String

        public var description: String {
            let keys = keyCount == 1 ? "1 key" : "\(keyCount) keys"
            return "\(keys) from the backup taken \(backupCreated.formatted(.iso8601)) (schema version \(schemaVersion)) into \(databasePath)"
        }
    }

    /// Names of the files SQLite keeps beside a database; a restore removes stale ones so
    /// they are never applied to the restored file.
    static let sidecarSuffixes = ["-wal", "-shm", "-journal"]
    /// The temporary name the database is copied to before it is renamed into place.
    static let temporarySuffix = ".restoring"

    /// Restores the backup in `directory` into the store of `configuration`.
    ///
    /// - Parameters:
    ///   - directory: A directory `kmsd backup` wrote.
    ///   - configuration: The configuration of the server that will serve the restored store:
    ///     its `data_dir` receives the database, its `root_key_file` must hold the root key the
    ///     backup was made under.
    ///   - logger: Receives database failures.
    /// - Returns: What was restored.
    /// - Throws: `BackupError`: `.unsupportedStore` for a PostgreSQL configuration,
    ///   `.invalidManifest`, `.checksumMismatch`, `.rootKeyMismatch` (all before anything is
    ///   written), `.targetInUse` while a `kmsd` holds the data directory's lock,
    ///   `.targetNotEmpty` when the store holds keys, `.database`, `.fileSystem`.
    public static func run(from directory: String, into configuration: ServerConfiguration, logger: Logger) async throws(BackupError) -> Report {
        if case .postgres(let postgres) = configuration.storage {
            throw BackupError(
                .unsupportedStore,
                """
                kmsd restore installs a backup of the embedded SQLite store only, and this configuration names \
                storage.postgres (\(postgres.redactedURL)): restore PostgreSQL with its own tools (pg_restore, or a base \
                backup), or restore into a SQLite configuration and move it with kmsd store copy; see docs/OPERATIONS.md
                """
            )
        }
        let manifest = try readManifest(in: directory)
        guard let databaseFile = manifest.database else {
            throw BackupError(.invalidManifest, "the backup manifest lists no \(BackupManifest.databaseFileName)")
        }
        for file in manifest.files {
            try check(file, in: directory)
        }
        try checkRootKey(configuration.rootKeyFile, opens: manifest)
        let backupDatabase = (directory as NSString).appendingPathComponent(BackupManifest.databaseFileName)
        try await checkDatabase(backupDatabase, against: manifest, logger: logger)

        // Everything checked; from here on the target is written.
        do {
            try FileManager.default.createDirectory(
                atPath: configuration.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]
            )
        } catch {
            throw BackupError(.fileSystem, "cannot create data_dir \(configuration.dataDirectory): \(error.localizedDescription)")
        }
        let lock: DataDirectoryLock
        do throws(StartupError) {
            lock = try DataDirectoryLock.acquire(dataDirectory: configuration.dataDirectory)
        } catch {
            throw BackupError(.targetInUse, "\(error.description); kmsd restore writes only into a store no kmsd serves")
        }
        defer { lock.release() }
        try await requireEmptyStore(configuration.databasePath, logger: logger)
        try install(backupDatabase, expected: databaseFile, at: configuration.databasePath, dataDirectory: configuration.dataDirectory)
        return Report(
            keyCount: manifest.keyCount, backupCreated: manifest.created, schemaVersion: manifest.schemaVersion,
            databasePath: configuration.databasePath
        )
    }

    /// Reads `manifest.json` from the backup directory.
    static func readManifest(in directory: String) throws(BackupError) -> BackupManifest {
        let path = (directory as NSString).appendingPathComponent(BackupManifest.fileName)
        guard FileManager.default.fileExists(atPath: path) else {
            throw BackupError(
                .invalidManifest,
                "\(directory) has no \(BackupManifest.fileName): it is not a kmsd backup, or the backup did not finish"
            )
        }
        return try BackupManifest.decode(BackupFiles.readSmallFile(path, limit: BackupManifest.maximumByteCount))
    }

    /// Checks one file's size and SHA-256 against the manifest.
    static func check(_ file: BackupManifest.File, in directory: String) throws(BackupError) {
        let path = (directory as NSString).appendingPathComponent(file.name)
        let digest: BackupFiles.Digest
        do throws(BackupError) {
            digest = try BackupFiles.digest(of: path)
        } catch {
            throw BackupError(.checksumMismatch, "the backup is incomplete: \(error.message)")
        }
        guard digest.byteCount == file.byteCount, digest.sha256 == file.sha256 else {
            throw BackupError(
                .checksumMismatch,
                "\(path) is not the file the manifest records (size \(digest.byteCount), SHA-256 \(digest.sha256); the manifest says size \(file.byteCount), SHA-256 \(file.sha256)): the backup is damaged or was changed; nothing was restored"
            )
        }
    }

    /// Checks that the configured root key opens the manifest's check value.
    static func checkRootKey(_ path: String, opens manifest: BackupManifest) throws(BackupError) {
        let key: RootKey?
        do {
            key = try RootKeyFile.load(path: path)
        } catch {
            throw BackupError(.rootKeyMismatch, "\(error); nothing was restored")
        }
        guard let key else {
            throw BackupError(
                .rootKeyMismatch,
                "the root key file \(path) (root_key_file) is missing; a backup never holds the root key: put the root key the backup was made under there first; nothing was restored"
            )
        }
        guard key.verifies(manifest.rootKeyCheckValue) else {
            throw BackupError(
                .rootKeyMismatch,
                "the root key in \(path) is not the one the backup's keys are wrapped under (it does not open the backup's root key check value); nothing was restored"
            )
        }
    }

    /// Checks the backup's database itself against the manifest: a manifest written for
    /// another database, or edited by hand, is refused.
    static func checkDatabase(_ path: String, against manifest: BackupManifest, logger: Logger) async throws(BackupError) {
        let summary: SQLiteSnapshot.Summary
        do throws(KMSError) {
            summary = try await SQLiteSnapshot.inspect(path: path, logger: logger)
        } catch {
            throw BackupError(.invalidManifest, "the backup's database cannot be read: \(error.message); nothing was restored")
        }
        guard summary.schemaVersion <= SQLiteSnapshot.supportedSchemaVersion else {
            throw BackupError(
                .invalidManifest,
                "the backup has schema version \(summary.schemaVersion), newer than the \(SQLiteSnapshot.supportedSchemaVersion) this kmsd supports: restore it with the kmsd that made it"
            )
        }
        guard summary.schemaVersion == manifest.schemaVersion, summary.keyCount == manifest.keyCount,
              summary.rootKeyVerifier == manifest.rootKeyCheckValue
        else {
            throw BackupError(
                .invalidManifest,
                "the backup's database does not match its manifest (schema version, key count or root key check value differ); nothing was restored"
            )
        }
    }

    /// Refuses a target database that holds keys (or is not a key store database).
    static func requireEmptyStore(_ path: String, logger: Logger) async throws(BackupError) {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let count: Int
        do throws(KMSError) {
            count = try await SQLiteSnapshot.keyCount(ofStoreAt: path, logger: logger)
        } catch {
            throw BackupError(
                .targetNotEmpty,
                "\(path) exists and cannot be read as an empty key store (\(error.message)); move it away to restore into this data_dir"
            )
        }
        guard count == 0 else {
            throw BackupError(
                .targetNotEmpty,
                "the store \(path) already holds \(count == 1 ? "1 key" : "\(count) keys"); kmsd restore writes only into an empty store (move the database away, with its -wal and -shm files, or give another data_dir)"
            )
        }
    }

    /// Copies the backup's database beside the target, checks the copy's SHA-256, syncs it,
    /// removes the target's stale journal files and renames the copy into place.
    static func install(_ source: String, expected: BackupManifest.File, at target: String, dataDirectory: String) throws(BackupError) {
        let temporary = target + temporarySuffix
        // Left by an interrupted restore; the lock is ours, so nobody else is writing it.
        try BackupFiles.removeIfPresent(temporary)
        let written = try BackupFiles.copy(source, to: temporary)
        guard written.byteCount == expected.byteCount, written.sha256 == expected.sha256 else {
            try? BackupFiles.removeIfPresent(temporary)
            throw BackupError(.checksumMismatch, "\(source) changed while it was restored; nothing was restored")
        }
        for suffix in sidecarSuffixes {
            try BackupFiles.removeIfPresent(target + suffix)
        }
        try BackupFiles.rename(temporary, over: target)
        try BackupFiles.syncDirectory(dataDirectory)
    }
}
