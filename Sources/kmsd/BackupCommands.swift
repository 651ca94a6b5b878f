import ArgumentParser
import Foundation
import KMSBuildInfo
import KMSServer
import Logging

/// `kmsd backup --config FILE --out DIR`.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a consistent snapshot of the SQLite key store, with a manifest, into a new or empty directory.",
        discussion: """
        Works while kmsd serves the store: it only reads the database (no data_dir lock, no write \
        lock). Writes DIR/kms.sqlite and DIR/manifest.json (mode 0600; DIR mode 0700). The keys \
        stay wrapped under the root key, and the root key is never part of the backup: back it \
        up separately and keep it apart. For storage.postgres, use PostgreSQL's tools \
        (docs/OPERATIONS.md).
        """
    )

    @Option(name: .long, help: "The configuration of the server whose store to back up.")
    var config: String

    @Option(name: .long, help: "The backup directory: new, or empty.")
    var out: String

    func run() async throws {
        let configuration = await ServerRunner.orExit { try ServerConfiguration.load(path: config) }
        let manifest = await ServerRunner.orExit {
            try await StoreBackup.run(configuration, to: out, kmsdVersion: BuildInfo.description, logger: Self.logger("kmsd.backup"))
        }
        var lines = [
            "backed up \(manifest.keyCount == 1 ? "1 key" : "\(manifest.keyCount) keys") (schema version \(manifest.schemaVersion)) from \(configuration.databasePath) into \(out)"
        ]
        for file in manifest.files {
            lines.append("  \(file.name)  \(file.byteCount) bytes  sha256 \(file.sha256)")
        }
        lines.append("  \(BackupManifest.fileName)")
        lines.append(
            "the root key is NOT in this backup: keep a copy of \(configuration.rootKeyFile) apart from it (never beside it); restoring needs that key"
        )
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    /// A logger for the store's failures, on standard error.
    static func logger(_ label: String) -> Logger {
        var logger = Logger(label: label) { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = .warning
        return logger
    }
}

/// `kmsd restore --from DIR --config FILE`.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Install a kmsd backup as the SQLite key store of a configuration whose store is empty.",
        discussion: """
        Checks before writing anything: the manifest, the size and SHA-256 of every file, that \
        the configured root_key_file holds the root key the backup was made under, and the \
        database's integrity. Refuses while a kmsd serves the data_dir and when its store holds \
        keys. Then copies the database into data_dir (mode 0600). Start kmsd afterwards.
        """
    )

    @Option(name: .long, help: "The backup directory written by kmsd backup.")
    var from: String

    @Option(name: .long, help: "The configuration of the server that will serve the restored store.")
    var config: String

    func run() async throws {
        let configuration = await ServerRunner.orExit { try ServerConfiguration.load(path: config) }
        let report = await ServerRunner.orExit {
            try await StoreRestore.run(from: from, into: configuration, logger: BackupCommand.logger("kmsd.restore"))
        }
        FileHandle.standardOutput.write(Data("restored \(report); start kmsd to serve it\n".utf8))
    }
}
