import KMSCore
import Logging
import SQLiteNIO
import Synchronization

/// One SQLite connection whose calls run one at a time, so a transaction never interleaves
/// with another caller's statements, and which refuses every call once closed.
final class SerializedConnection: Sendable {
    private let connection: SQLiteConnection
    private let lock = AsyncLock()
    private let isClosed = Mutex(false)
    private let logger: Logger

    init(_ connection: SQLiteConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// Runs `body` alone on the connection, outside any transaction; for single statements.
    ///
    /// - Parameter operation: What the caller is doing, for error messages and logs.
    /// - Throws: `KMSError` `.internalFailure` when the store is closed, or what `body` throws.
    func withSession<T>(
        _ operation: String,
        _ body: (SQLiteSession) async throws(KMSError) -> T
    ) async throws(KMSError) -> T {
        try await lock.withLock { () async throws(KMSError) -> T in
            guard !isClosed.withLock({ $0 }) else {
                throw KMSError(.internalFailure, "the key store is closed")
            }
            return try await body(SQLiteSession(connection: connection, operation: operation, logger: logger))
        }
    }

    /// Runs `body` alone on the connection inside one write transaction: committed when
    /// `body` returns, rolled back when it or the commit throws.
    ///
    /// - Parameter operation: What the caller is doing, for error messages and logs.
    /// - Throws: `KMSError` `.internalFailure` when the store is closed or the database
    ///   fails, or what `body` throws.
    func withTransaction<T>(
        _ operation: String,
        _ body: (SQLiteSession) async throws(KMSError) -> T
    ) async throws(KMSError) -> T {
        try await withSession(operation) { session async throws(KMSError) -> T in
            try await session.execute("BEGIN IMMEDIATE")
            do throws(KMSError) {
                let result = try await body(session)
                try await session.execute("COMMIT")
                return result
            } catch {
                await session.rollBack()
                throw error
            }
        }
    }

    /// Closes the connection once the calls in progress have finished; does nothing when
    /// it is already closed.
    ///
    /// - Throws: `KMSError` `.internalFailure` when SQLite fails to close.
    func close() async throws(KMSError) {
        try await lock.withLock { () async throws(KMSError) in
            guard !isClosed.withLock({ $0 }) else { return }
            isClosed.withLock { $0 = true }
            do {
                try await connection.close()
            } catch {
                throw SQLiteSession.wrap(error, operation: "close", logger: logger)
            }
        }
    }
}

/// Access to the connection for one serialized call. Every statement's SQL is a constant;
/// values travel only as bound parameters.
struct SQLiteSession {
    let connection: SQLiteConnection
    let operation: String
    let logger: Logger

    /// Runs one statement and returns its rows.
    ///
    /// - Throws: `KMSError` `.internalFailure` whose message names the operation, never
    ///   the SQL's bound values.
    @discardableResult
    func query(_ sql: String, _ binds: [SQLiteData] = []) async throws(KMSError) -> [SQLiteRow] {
        do {
            return try await connection.query(sql, binds)
        } catch {
            throw Self.wrap(error, operation: operation, logger: logger)
        }
    }

    /// Runs one statement that returns no rows of interest.
    func execute(_ sql: String, _ binds: [SQLiteData] = []) async throws(KMSError) {
        try await query(sql, binds)
    }

    /// Rolls back the open transaction, if any. A failure is logged, not thrown, so the
    /// error that caused the rollback is the one the caller sees.
    func rollBack() async {
        do {
            _ = try await connection.query("ROLLBACK")
        } catch {
            // Expected when the failed statement already ended the transaction.
            logger.debug(
                "Key store rollback failed",
                metadata: ["operation": .string(operation), "error": .string(Self.safeSummary(of: error))]
            )
        }
    }

    /// Turns a database error into a `KMSError` with a generic message and logs its details.
    /// SQLite's own messages name tables and columns, not bound values.
    static func wrap(_ error: any Error, operation: String, logger: Logger) -> KMSError {
        logger.error(
            "Key store database call failed",
            metadata: ["operation": .string(operation), "error": .string(safeSummary(of: error))]
        )
        return KMSError(.internalFailure, "the key store failed to \(operation)")
    }

    /// The SQLite result code and message of an error, or only its type for other errors.
    private static func safeSummary(of error: any Error) -> String {
        if let error = error as? SQLiteError {
            return "\(error.reason): \(error.message)"
        }
        return String(describing: type(of: error))
    }
}
