import Foundation
import KMSCore
import KMSStorage
import Logging
import PostgresNIO
import Synchronization

/// The shared key store: one PostgreSQL database that several `kmsd` nodes use at once.
///
/// Calls lease connections from PostgresNIO's pool. Every change runs in one transaction
/// that locks the rows it depends on (`SELECT … FOR UPDATE`, keys before their aliases,
/// versions and grants), so the conditional writes of `KeyStore` hold across nodes: a write
/// that lost a race sees the winner's row and fails or returns `false` as the contract says.
/// A transaction the server aborts to break a deadlock or a serialization conflict runs
/// again. Statements are constants and every value is a bound parameter.
///
/// The schema is versioned in `kms_schema` and migrated forward at open under an advisory
/// lock, so nodes that start together migrate once; a database of a newer schema than this
/// code knows is refused.
public final class PostgresKeyStore: KeyStore {
    private let client: PostgresClient
    private let running: Task<Void, Never>
    private let isClosed = Mutex(false)
    let logger: Logger

    private init(client: PostgresClient, running: Task<Void, Never>, logger: Logger) {
        self.client = client
        self.running = running
        self.logger = logger
    }

    /// Connects to the database and migrates its schema to the current version.
    ///
    /// - Throws: `KMSError` `.internalFailure` when the database cannot be reached, was
    ///   migrated by a newer version of this code, or a migration fails.
    public static func open(configuration: PostgresClient.Configuration, logger: Logger) async throws(KMSError) -> PostgresKeyStore {
        try await open(configuration: configuration, logger: logger, schemaVersion: PostgresSchema.currentVersion)
    }

    /// Connects to the database `configuration` describes and migrates its schema.
    ///
    /// - Throws: `PostgresConfigurationError` when the TLS files cannot be loaded;
    ///   `KMSError` `.internalFailure` as `open(configuration:logger:)` does.
    public static func open(_ configuration: PostgresStoreConfiguration, logger: Logger) async throws -> PostgresKeyStore {
        try await open(configuration: try configuration.clientConfiguration(), logger: logger)
    }

    /// Opens the store with its schema migrated to `schemaVersion` and no further; tests use
    /// it to make databases as older versions of this code left them.
    static func open(
        configuration: PostgresClient.Configuration, logger: Logger, schemaVersion: Int
    ) async throws(KMSError) -> PostgresKeyStore {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let running = Task { await client.run() }
        let store = PostgresKeyStore(client: client, running: running, logger: logger)
        do {
            try await PostgresSchema.migrate(store, to: schemaVersion)
        } catch {
            try? await store.close()
            throw error
        }
        return store
    }

    /// How often a transaction runs again after the server aborted it to resolve a conflict.
    private static let conflictRetries = 8

    /// Runs `body` on one leased connection, outside a transaction; for reads and single
    /// statements.
    func withSession<T>(
        _ operation: String, conflict: ConflictSignal = ConflictSignal(), _ body: (PostgresSession) async throws(KMSError) -> T
    ) async throws(KMSError) -> T {
        try requireOpen()
        do {
            return try await client.withConnection { connection in
                try await body(PostgresSession(connection: connection, operation: operation, logger: logger, conflict: conflict))
            }
        } catch {
            throw PostgresErrors.wrap(error, operation: operation, logger: logger)
        }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it or the
    /// commit throws, and run again whole when the server aborted it to break a deadlock or a
    /// serialization conflict.
    func withTransaction<T>(_ operation: String, _ body: (PostgresSession) async throws(KMSError) -> T) async throws(KMSError) -> T {
        var attempt = 0
        while true {
            attempt += 1
            let conflict = ConflictSignal()
            do throws(KMSError) {
                return try await withSession(operation, conflict: conflict) { session async throws(KMSError) -> T in
                    try await session.execute("BEGIN")
                    do throws(KMSError) {
                        let result = try await body(session)
                        try await session.execute("COMMIT")
                        return result
                    } catch {
                        _ = try? await session.query("ROLLBACK")
                        throw error
                    }
                }
            } catch {
                guard conflict.wasSignalled, attempt < Self.conflictRetries else { throw error }
                try? await Task.sleep(for: .milliseconds(Int.random(in: 1...(5 * attempt))))
            }
        }
    }

    private func requireOpen() throws(KMSError) {
        guard !isClosed.withLock({ $0 }) else { throw KMSError(.internalFailure, "the key store is closed") }
    }

    public func close() async throws(KMSError) {
        let alreadyClosed = isClosed.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !alreadyClosed else { return }
        running.cancel()
        await running.value
    }
}
