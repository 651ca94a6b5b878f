import KMSCore
import KMSStorage
import Logging
import SQLiteNIO
import Synchronization

/// One SQLite connection whose calls run one at a time, so a transaction never interleaves
/// with another caller's statements, and which refuses every call once closed.
///
/// When another connection to the same file holds its lock, a call fails with SQLite's
/// "busy" and is run again whole after a short asynchronous wait (for up to
/// `busyRetryLimit`): a session that failed that way changed nothing, since a transaction is
/// rolled back and a session outside one runs only reads or a single statement.
final class SerializedConnection: Sendable {
    /// How long a call keeps retrying while the file is locked by another connection.
    static let busyRetryLimit = Duration.seconds(10)

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
        let deadline = ContinuousClock.now + Self.busyRetryLimit
        var wait = Duration.milliseconds(1)
        while true {
            let busy = BusySignal()
            do throws(KMSError) {
                return try await lock.withLock { () async throws(KMSError) -> T in
                    guard !isClosed.withLock({ $0 }) else {
                        throw KMSError(.internalFailure, "the key store is closed")
                    }
                    return try await body(SQLiteSession(connection: connection, operation: operation, logger: logger, busy: busy))
                }
            } catch {
                guard busy.wasSignalled, ContinuousClock.now < deadline else {
                    if busy.wasSignalled { SQLiteSession.logBusy(operation: operation, logger: logger) }
                    throw error
                }
            }
            try? await Task.sleep(for: wait)
            wait = min(wait * 2, .milliseconds(50))
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
    /// Set when a statement failed because another connection holds the file's lock.
    let busy: BusySignal

    /// Runs one statement and returns its rows.
    ///
    /// - Throws: `KMSError` `.internalFailure` whose message names the operation, never
    ///   the SQL's bound values.
    @discardableResult
    func query(_ sql: String, _ binds: [SQLiteData] = []) async throws(KMSError) -> [SQLiteRow] {
        do {
            return try await connection.query(sql, binds)
        } catch let error as SQLiteError where Self.busyReasons.contains(error.reason) {
            busy.signal()
            throw KMSError(.internalFailure, "the key store failed to \(operation): the database is locked")
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

    /// The results that mean another connection holds the lock the statement needs.
    private static let busyReasons: [SQLiteError.Reason] = [.busy, .locked, .busyInRecovery, .busyInSnapshot, .busyTimeout]

    /// Logs a call that gave up after the file stayed locked for `busyRetryLimit`.
    static func logBusy(operation: String, logger: Logger) {
        logger.error("Key store database stayed locked by another connection", metadata: ["operation": .string(operation)])
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

/// Whether a session met SQLite's "busy": another connection held the lock it needed.
final class BusySignal: Sendable {
    private let signalled = Mutex(false)

    /// Records that a statement found the file locked.
    func signal() {
        signalled.withLock { $0 = true }
    }

    /// Whether `signal()` was called.
    var wasSignalled: Bool { signalled.withLock { $0 } }
}
