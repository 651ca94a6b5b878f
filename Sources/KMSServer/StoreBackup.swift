import Foundation
import KMSCore
import KMSStorageSQLite
import Logging

/// `kmsd backup`: a consistent snapshot of the embedded SQLite store, taken while `kmsd` may
/// be serving it, written with a manifest into a new or empty directory.
///
/// The backup only reads: it takes neither the data directory's lock nor a write lock on the
/// database, so the server goes on serving and writing. It holds the keys only wrapped under
/// the root key, and never the root key itself: that must be backed up on its own, kept
/// apart from the database backups.
public enum StoreBackup {
    /// Writes `<directory>/kms.sqlite` (mode 0600) and then `<directory>/manifest.json`
    /// (mode 0600) into `directory` (created with mode 0700, or an existing empty directory
    /// set to 0700), each synced. An interrupted backup has no manifest, and restore refuses
    /// a directory without one.
    ///
    /// - Parameters:
    ///   - configuration: The server's configuration: its `data_dir` names the database.
    ///   - directory: The backup directory.
    ///   - kmsdVersion: Recorded in the manifest; `nil` when unknown.
    ///   - now: The backup's time, recorded in the manifest (to the second).
    ///   - logger: Receives database failures.
    /// - Returns: The manifest written.
    /// - Throws: `BackupError`: `.unsupportedStore` for a PostgreSQL store (before anything
    ///   is connected to or written), `.noSource` when there is no database or it records no
    ///   root key check value, `.outputNotEmpty`, `.database`, `.fileSystem`.
    public static func run(
        _ configuration: ServerConfiguration, to directory: String, kmsdVersion: String? = nil,
        now: Date = Date(), logger: Logger
    ) async throws(BackupError) -> BackupManifest {
        if case .postgres(let postgres) = configuration.storage {
            throw BackupError(
                .unsupportedStore,
                """
                kmsd backup copies the embedded SQLite store only, and this configuration names storage.postgres \
                (\(postgres.redactedURL)): back the PostgreSQL database up with PostgreSQL's tools (pg_dump, or base \
                backups with WAL archiving) and keep the root key file apart; see docs/OPERATIONS.md (Backup and restore)
                """
            )
        }
        let database = configuration.databasePath
        guard FileManager.default.fileExists(atPath: database) else {
            throw BackupError(.noSource, "there is no key store database at \(database) (data_dir \(configuration.dataDirectory)); nothing to back up")
        }
        try BackupFiles.prepareOutputDirectory(directory)
        let snapshot = (directory as NSString).appendingPathComponent(BackupManifest.databaseFileName)
        do throws(BackupError) {
            return try await write(database: database, snapshot: snapshot, directory: directory, kmsdVersion: kmsdVersion, now: now, logger: logger)
        } catch {
            // Only what this run created goes: the directory was new or empty.
            try? BackupFiles.removeIfPresent((directory as NSString).appendingPathComponent(BackupManifest.fileName))
            try? BackupFiles.removeIfPresent(snapshot)
            throw error
        }
    }

    private static func write(
        database: String, snapshot: String, directory: String, kmsdVersion: String?, now: Date, logger: Logger
    ) async throws(BackupError) -> BackupManifest {
        let summary: SQLiteSnapshot.Summary
        do throws(KMSError) {
            try await SQLiteSnapshot.write(databasePath: database, to: snapshot, logger: logger)
            summary = try await SQLiteSnapshot.inspect(path: snapshot, logger: logger)
        } catch {
            throw BackupError(.database, "cannot take a snapshot of \(database): \(error.message)")
        }
        guard let verifier = summary.rootKeyVerifier else {
            throw BackupError(.noSource, "\(database) records no root key check value; start kmsd on it once first")
        }
        let digest = try BackupFiles.digest(of: snapshot)
        let manifest = BackupManifest(
            created: Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down)), kmsdVersion: kmsdVersion,
            schemaVersion: summary.schemaVersion, keyCount: summary.keyCount, rootKeyCheckValue: verifier,
            files: [BackupManifest.File(name: BackupManifest.databaseFileName, byteCount: digest.byteCount, sha256: digest.sha256)]
        )
        try BackupFiles.writeNewFile((directory as NSString).appendingPathComponent(BackupManifest.fileName), manifest.encoded())
        try BackupFiles.syncDirectory(directory)
        return manifest
    }
}
