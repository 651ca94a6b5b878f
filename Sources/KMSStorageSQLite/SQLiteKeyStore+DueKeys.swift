import Foundation
import KMSCore
import KMSStorage
import SQLiteNIO

extension SQLiteKeyStore {
    public func keysDueForRotation(now: Date, limit: Int) async throws(KMSError) -> [KeyID] {
        try await dueKeys(
            """
            SELECT key_id FROM keys WHERE key_state = ?1 AND next_rotation_date <= ?2
            ORDER BY next_rotation_date, key_id LIMIT ?3
            """,
            state: .enabled, now: now, limit: limit, operation: "list keys due for rotation"
        )
    }

    public func keysDueForDeletion(now: Date, limit: Int) async throws(KMSError) -> [KeyID] {
        try await dueKeys(
            """
            SELECT key_id FROM keys WHERE key_state = ?1 AND deletion_date <= ?2
            ORDER BY deletion_date, key_id LIMIT ?3
            """,
            state: .pendingDeletion, now: now, limit: limit, operation: "list keys due for deletion"
        )
    }

    /// Runs a query that binds a key state as parameter 1, a date as 2 and a limit as 3 and
    /// reads `key_id`.
    private func dueKeys(
        _ sql: String, state: KeyState, now: Date, limit: Int, operation: String
    ) async throws(KMSError) -> [KeyID] {
        try StoreArguments.checkListLimit(limit)
        let binds: [SQLiteData] = [
            .text(state.rawValue), try Self.date(now, field: "current time"), .integer(SQLiteInt64(limit)),
        ]
        return try await connection.withSession(operation) { session async throws(KMSError) in
            try await session.query(sql, binds).map { (row) throws(KMSError) in try row.keyID("key_id") }
        }
    }
}
