import Foundation
import KMSCore
import KMSCrypto
import KMSStorage
import KMSStoragePostgres
import KMSStorageSQLite
import Logging

/// The key store the configuration names, opened, with the root key checked against it.
enum ConfiguredKeyStore {
    /// Opens the store of `configuration.storage`: the SQLite file in `data_dir`, or the
    /// PostgreSQL database several nodes share.
    ///
    /// - Throws: `KMSError` or `ConfigurationError` when the store cannot be opened.
    static func open(_ configuration: ServerConfiguration, logger: Logger) async throws -> any KeyStore {
        switch configuration.storage {
        case .sqlite:
            return try await SQLiteKeyStore.open(path: configuration.databasePath, logger: logger)
        case .postgres(let postgres):
            do {
                return try await PostgresKeyStore.open(postgres, logger: logger)
            } catch let error as PostgresConfigurationError {
                throw ConfigurationError("\(error)")
            }
        }
    }

    /// Where the store is, for messages: the SQLite path or the redacted PostgreSQL URL.
    static func location(_ configuration: ServerConfiguration) -> String {
        switch configuration.storage {
        case .sqlite: configuration.databasePath
        case .postgres(let postgres): postgres.redactedURL
        }
    }

    /// Loads the root key and checks it against the store's check value.
    ///
    /// The first start of an embedded SQLite store creates the root key file; a PostgreSQL
    /// store never gets one created (every node must be given the same file, made with
    /// `kmsd root-key generate`). The first node to start with a key records its check value;
    /// a node started with another key refuses to start.
    ///
    /// - Throws: `StartupError` saying what to fix.
    static func rootKey(for store: any KeyStore, configuration: ServerConfiguration) async throws -> RootKey {
        let path = configuration.rootKeyFile
        let location = location(configuration)
        let wrongKey = StartupError("the root key in \(path) is not the one that protects \(location); refusing to start")
        switch (try RootKeyFile.load(path: path), try await store.rootKeyVerifier()) {
        case (let key?, let verifier?):
            guard key.verifies(verifier) else { throw wrongKey }
            return key
        case (let key?, nil):
            do {
                try await store.setRootKeyVerifier(key.makeVerifier())
            } catch {
                // Another node recorded its key's check value first: ours must be the same key.
                guard let recorded = try await store.rootKeyVerifier(), key.verifies(recorded) else { throw wrongKey }
            }
            return key
        case (nil, _?):
            throw StartupError("the root key file \(path) is missing, but \(location) was created with a root key; restore the file (or set root_key_file)")
        case (nil, nil):
            guard case .sqlite = configuration.storage else {
                throw StartupError(
                    "the root key file \(path) is missing; with PostgreSQL kmsd never creates one: run `kmsd root-key generate \(path)` once and give every node the same file"
                )
            }
            let key = try RootKeyFile.create(path: path)
            try await store.setRootKeyVerifier(key.makeVerifier())
            return key
        }
    }
}
