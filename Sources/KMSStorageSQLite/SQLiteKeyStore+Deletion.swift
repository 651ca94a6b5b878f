import Foundation
import KMSCore
import KMSStorage
import SQLiteNIO

extension SQLiteKeyStore {
    public func scheduleDeletion(_ id: KeyID, deletionDate: Date) async throws(KMSError) {
        let dateBind = try Self.date(deletionDate, field: "deletion date")
        try await connection.withTransaction("schedule a key deletion") { session async throws(KMSError) in
            let state = try await session.keyState(id)
            try KeyStateRules.checkSchedulable(id, state)
            try await session.execute(
                "UPDATE keys SET key_state = ?, deletion_date = ? WHERE key_id = ?",
                [.text(KeyState.pendingDeletion.rawValue), dateBind, .text(id.description)]
            )
        }
    }

    public func cancelDeletion(_ id: KeyID) async throws(KMSError) {
        try await connection.withTransaction("cancel a key deletion") { session async throws(KMSError) in
            let state = try await session.keyState(id)
            try KeyStateRules.checkCancellable(id, state)
            try await session.execute(
                "UPDATE keys SET key_state = ?, deletion_date = NULL WHERE key_id = ?",
                [.text(KeyState.disabled.rawValue), .text(id.description)]
            )
        }
    }

    /// Destroys the key in one transaction, then truncates the write-ahead log: with
    /// `secure_delete` on, the deleted rows are overwritten with zeros in the database file,
    /// and the truncation removes the log's older copies of those pages. When another process
    /// holds the database open, the truncation may not complete; that is logged as an error
    /// and the log is emptied at a later checkpoint.
    public func destroyKey(_ id: KeyID, now: Date) async throws(KMSError) -> Bool {
        let nowBind = try Self.date(now, field: "current time")
        let destroyed = try await connection.withTransaction("destroy a key") { session async throws(KMSError) -> Bool in
            let updated = try await session.query(
                """
                UPDATE keys SET key_state = ?3
                WHERE key_id = ?1 AND key_state = ?4 AND deletion_date <= ?2
                RETURNING key_id
                """,
                [.text(id.description), nowBind, .text(KeyState.destroyed.rawValue), .text(KeyState.pendingDeletion.rawValue)]
            )
            guard !updated.isEmpty else {
                try await session.requireKey(id)
                return false
            }
            try await session.execute("DELETE FROM key_versions WHERE key_id = ?", [.text(id.description)])
            return true
        }
        if destroyed {
            try await connection.withSession("truncate the write-ahead log") { session async throws(KMSError) in
                try await session.truncateWriteAheadLog()
            }
        }
        return destroyed
    }
}

extension SQLiteSession {
    /// Copies every page of the write-ahead log into the database file and truncates the
    /// log to zero bytes. Must run outside a transaction.
    ///
    /// - Throws: `KMSError` `.internalFailure` when the database fails. A checkpoint that
    ///   another process's reader blocks is logged as an error, not thrown.
    fileprivate func truncateWriteAheadLog() async throws(KMSError) {
        // The first column, `busy`, is 0 when the checkpoint completed.
        let row = try await query("PRAGMA wal_checkpoint(TRUNCATE)").first
        if row?.columns.first?.data != .integer(0) {
            logger.error(
                "Key store could not truncate its write-ahead log; destroyed material stays in it until the next checkpoint",
                metadata: ["operation": .string(operation)]
            )
        }
    }
}
