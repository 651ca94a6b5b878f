import Foundation
import KMSCore
import KMSStorage
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// One leased connection, inside or outside a transaction, for one store call. Statements
/// are constants; values travel only as bound parameters.
struct PostgresSession {
    let connection: PostgresConnection
    let operation: String
    let logger: Logger
    /// Set when a statement failed because of a concurrent transaction (a deadlock, a
    /// serialization conflict or a unique key another transaction just took): the whole
    /// transaction may run again, and its own checks then see the other one's rows.
    let conflict: ConflictSignal

    /// Runs one statement and returns its rows.
    ///
    /// - Throws: `KMSError` `.internalFailure` naming the operation, never the bound values.
    @discardableResult
    func query(_ sql: String, _ binds: [ColumnValue] = []) async throws(KMSError) -> [PostgresRandomAccessRow] {
        var bindings = PostgresBindings(capacity: binds.count)
        for bind in binds {
            switch bind {
            case .text(let value): bindings.append(value)
            case .integer(let value): bindings.append(value)
            case .bytes(let value): bindings.append(ByteBuffer(bytes: value))
            case .bool(let value): bindings.append(value)
            case .null: bindings.appendNull()
            }
        }
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).collect()
            return rows.map { $0.makeRandomAccess() }
        } catch {
            if let state = PostgresErrors.sqlState(of: error), PostgresErrors.conflictStates.contains(state) {
                conflict.signal()
            }
            throw PostgresErrors.wrap(error, operation: operation, logger: logger)
        }
    }

    /// Runs one statement that returns no rows of interest.
    func execute(_ sql: String, _ binds: [ColumnValue] = []) async throws(KMSError) {
        try await query(sql, binds)
    }
}

/// The PostgreSQL errors the store tells apart, and the `KMSError` every other one becomes.
enum PostgresErrors {
    /// SQLSTATEs of a statement that failed because of a concurrent transaction: a
    /// serialization failure, a deadlock, a unique violation. The whole transaction can run
    /// again, and its checks then see the other transaction's rows.
    static let conflictStates: Set<String> = ["40001", "40P01", "23505"]

    /// The SQLSTATE of a server error, if `error` is one.
    static func sqlState(of error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// Turns a database error into a `KMSError` with a generic message and logs what is safe
    /// to log: the SQLSTATE and the server's message (which names tables and constraints, not
    /// bound values).
    static func wrap(_ error: any Error, operation: String, logger: Logger) -> KMSError {
        if let error = error as? KMSError { return error }
        let state = sqlState(of: error)
        if isUnreachable(error, state: state) {
            logger.warning("Key store database unreachable", metadata: [
                "operation": .string(operation), "sqlstate": .string(state ?? "none"),
                "error": .string((error as? PSQLError).map { "\($0.code)" } ?? String(describing: type(of: error))),
            ])
            return KMSError(.storeUnavailable, "the key store cannot be reached; retry")
        }
        if state.map(conflictStates.contains) != true {
            logger.error("Key store database call failed", metadata: [
                "operation": .string(operation), "sqlstate": .string(state ?? "none"),
                "error": .string((error as? PSQLError)?.serverInfo?[.message] ?? String(describing: type(of: error))),
            ])
        }
        return KMSError(.internalFailure, "the key store failed to \(operation)" + (state.map { " (SQLSTATE \($0))" } ?? ""))
    }
}

extension PostgresErrors {
    /// SQLSTATEs of a server that is going away or not accepting connections yet: admin
    /// shutdown, crash shutdown, cannot connect now (class 57P); class 08 is every connection
    /// exception.
    static let unreachableStates: Set<String> = ["57P01", "57P02", "57P03"]

    /// The client-side failures of a connection rather than of a statement.
    static let unreachableCodes: [PSQLError.Code] = [
        .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
    ]

    /// Whether `error` says the database could not be reached (a retry may succeed), rather
    /// than that a statement failed.
    static func isUnreachable(_ error: any Error, state: String?) -> Bool {
        if let state { return state.hasPrefix("08") || unreachableStates.contains(state) }
        guard let error = error as? PSQLError else { return false }
        return unreachableCodes.contains(error.code)
    }
}

/// Whether a session met a conflict with a concurrent transaction.
final class ConflictSignal: Sendable {
    private let signalled = Mutex(false)

    /// Records that a statement failed because of a concurrent transaction.
    func signal() {
        signalled.withLock { $0 = true }
    }

    /// Whether `signal()` was called.
    var wasSignalled: Bool { signalled.withLock { $0 } }
}

extension PostgresRandomAccessRow {
    /// Reads a column, turning a missing or mistyped value into `.internalFailure`.
    func value<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws(KMSError) -> T {
        do {
            return try self[column].decode(T.self)
        } catch {
            throw Self.invalid(column)
        }
    }

    /// Reads a key id column.
    func keyID(_ column: String) throws(KMSError) -> KeyID {
        guard let id = KeyID(string: try value(column, as: String.self)) else { throw Self.invalid(column) }
        return id
    }

    /// Reads a date stored as whole microseconds since 1970.
    func date(_ column: String) throws(KMSError) -> Date {
        guard let date = Date(microsecondsSince1970: try value(column, as: Int64.self)) else { throw Self.invalid(column) }
        return date
    }

    /// Reads a nullable date column.
    func optionalDate(_ column: String) throws(KMSError) -> Date? {
        guard let micros = try value(column, as: Int64?.self) else { return nil }
        guard let date = Date(microsecondsSince1970: micros) else { throw Self.invalid(column) }
        return date
    }

    /// Reads a key version number.
    func version(_ column: String) throws(KMSError) -> KeyVersion {
        guard let version = KeyVersion(exactly: try value(column, as: Int64.self)), version >= 1 else { throw Self.invalid(column) }
        return version
    }

    /// Reads a column holding the raw value of `T`.
    func enumValue<T: RawRepresentable>(_ type: T.Type, _ column: String) throws(KMSError) -> T where T.RawValue == String {
        guard let value = T(rawValue: try value(column, as: String.self)) else { throw Self.invalid(column) }
        return value
    }

    /// Reads a byte string column.
    func bytes(_ column: String) throws(KMSError) -> [UInt8] {
        var buffer = try value(column, as: ByteBuffer.self)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    /// The error for a column that does not hold what the schema promises.
    static func invalid(_ column: String) -> KMSError {
        KMSError(.internalFailure, "the key store holds an unreadable \(column) value")
    }
}
