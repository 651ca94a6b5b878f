import Foundation
import KMSCore
import KMSStorage

extension PostgresKeyStore {
    public func scheduleDeletion(_ id: KeyID, deletionDate: Date) async throws(KMSError) {
        let dateBind = try RowValues.date(deletionDate, field: "deletion date")
        try await withTransaction("schedule a key deletion") { session async throws(KMSError) in
            let state = try await session.lockKeyState(id)
            try KeyStateRules.checkSchedulable(id, state)
            try await session.execute(
                "UPDATE keys SET key_state = $1, deletion_date = $2 WHERE key_id = $3",
                [.text(KeyState.pendingDeletion.rawValue), dateBind, .text(id.description)]
            )
            try await session.recordChange(key: id)
        }
    }

    public func cancelDeletion(_ id: KeyID) async throws(KMSError) {
        try await withTransaction("cancel a key deletion") { session async throws(KMSError) in
            let state = try await session.lockKeyState(id)
            try KeyStateRules.checkCancellable(id, state)
            try await session.execute(
                "UPDATE keys SET key_state = $1, deletion_date = NULL WHERE key_id = $2",
                [.text(KeyState.disabled.rawValue), .text(id.description)]
            )
            try await session.recordChange(key: id)
        }
    }

    /// Destroys the key in one transaction. PostgreSQL keeps the deleted rows' old versions in
    /// its data files until VACUUM reuses the space, and in its write-ahead log and backups;
    /// the material there is still wrapped under the root key (docs/DEPLOYMENT.md).
    public func destroyKey(_ id: KeyID, now: Date) async throws(KMSError) -> Bool {
        let nowBind = try RowValues.date(now, field: "current time")
        return try await withTransaction("destroy a key") { session async throws(KMSError) -> Bool in
            let updated = try await session.query(
                """
                UPDATE keys SET key_state = $3
                WHERE key_id = $1 AND key_state = $4 AND deletion_date <= $2
                RETURNING key_id
                """,
                [.text(id.description), nowBind, .text(KeyState.destroyed.rawValue), .text(KeyState.pendingDeletion.rawValue)]
            )
            guard !updated.isEmpty else {
                try await session.requireKey(id)
                return false
            }
            try await session.execute("DELETE FROM key_versions WHERE key_id = $1", [.text(id.description)])
            try await session.recordChange(key: id)
            return true
        }
    }

    public func keysDueForRotation(now: Date, limit: Int) async throws(KMSError) -> [KeyID] {
        try await dueKeys(
            """
            SELECT key_id FROM keys WHERE key_state = $1 AND next_rotation_date <= $2
            ORDER BY next_rotation_date, key_id LIMIT $3
            """,
            state: .enabled, now: now, limit: limit, operation: "list keys due for rotation"
        )
    }

    public func keysDueForDeletion(now: Date, limit: Int) async throws(KMSError) -> [KeyID] {
        try await dueKeys(
            """
            SELECT key_id FROM keys WHERE key_state = $1 AND deletion_date <= $2
            ORDER BY deletion_date, key_id LIMIT $3
            """,
            state: .pendingDeletion, now: now, limit: limit, operation: "list keys due for deletion"
        )
    }

    private func dueKeys(_ sql: String, state: KeyState, now: Date, limit: Int, operation: String) async throws(KMSError) -> [KeyID] {
        try StoreArguments.checkListLimit(limit)
        let binds: [ColumnValue] = [.text(state.rawValue), try RowValues.date(now, field: "current time"), .integer(Int64(limit))]
        return try await withSession(operation) { session async throws(KMSError) in
            try await session.query(sql, binds).map { (row) throws(KMSError) in try row.keyID("key_id") }
        }
    }

    public func setRotation(_ id: KeyID, _ schedule: RotationSchedule?) async throws(KMSError) {
        let scheduleBinds = try RowValues.rotation(schedule)
        try await withTransaction("set a key's rotation schedule") { session async throws(KMSError) in
            let state = try await session.lockKeyState(id)
            try KeyStateRules.checkRotationSchedule(id, state, schedule)
            try await session.execute(
                "UPDATE keys SET rotation_period_days = $1::BIGINT, next_rotation_date = $2::BIGINT WHERE key_id = $3",
                scheduleBinds + [.text(id.description)]
            )
            try await session.recordChange(key: id)
        }
    }

    public func addVersion(
        _ newVersion: WrappedKeyVersion, expectedCurrent: KeyVersion, dueBy: Date?, nextSchedule: RotationSchedule?
    ) async throws(KMSError) -> Bool {
        let id = newVersion.keyID
        try StoreArguments.checkNewVersion(newVersion, expectedCurrent: expectedCurrent)
        let versionRow = try RowValues.version(newVersion)
        let scheduleBinds = try RowValues.rotation(nextSchedule)
        let dueByBind: ColumnValue = if let dueBy { try RowValues.date(dueBy, field: "due date") } else { .null }
        let binds: [ColumnValue] = [
            .text(id.description), .integer(Int64(expectedCurrent)), .integer(Int64(newVersion.version)),
            .text(KeyState.enabled.rawValue), dueByBind,
        ] + scheduleBinds
        return try await withTransaction("rotate a key") { session async throws(KMSError) -> Bool in
            let swapped = try await session.query(
                """
                UPDATE keys SET current_version = $3,
                                rotation_period_days = COALESCE($6::BIGINT, rotation_period_days),
                                next_rotation_date = COALESCE($7::BIGINT, next_rotation_date)
                WHERE key_id = $1 AND current_version = $2 AND key_state = $4
                  AND ($5::BIGINT IS NULL OR next_rotation_date <= $5::BIGINT)
                RETURNING key_id
                """,
                binds
            )
            guard !swapped.isEmpty else {
                try await session.requireKey(id)
                return false
            }
            try await session.execute(PostgresRows.insertVersion, versionRow)
            try await session.recordChange(key: id)
            return true
        }
    }

    public func listVersions(_ id: KeyID, after: KeyVersion?, limit: Int) async throws(KMSError) -> [WrappedKeyVersion] {
        try StoreArguments.checkListLimit(limit)
        let binds: [ColumnValue] = [.text(id.description), .integer(Int64(after ?? 0)), .integer(Int64(limit))]
        return try await withTransaction("list key versions") { session async throws(KMSError) in
            try await session.requireKey(id)
            return try await session.query(PostgresRows.selectVersionPage, binds).map { (row) throws(KMSError) in
                try PostgresRows.decodeVersion(row)
            }
        }
    }

    public func setVersionEnabled(_ id: KeyID, version: KeyVersion, enabled: Bool) async throws(KMSError) {
        try await withTransaction("enable or disable a key version") { session async throws(KMSError) in
            guard let row = try await session.query(
                "SELECT current_version, key_state FROM keys WHERE key_id = $1 FOR UPDATE", [.text(id.description)]
            ).first else {
                throw KMSError.noKey(id)
            }
            try KeyStateRules.checkHasVersions(id, try row.enumValue(KeyState.self, "key_state"))
            let current = try row.version("current_version")
            let versionBinds: [ColumnValue] = [.text(id.description), .integer(Int64(version))]
            guard try await !session.query("SELECT 1 FROM key_versions WHERE key_id = $1 AND version = $2", versionBinds).isEmpty else {
                throw KMSError(.keyVersionNotFound, "key \(id) has no version \(version)")
            }
            guard enabled || version != current else {
                throw KMSError(.invalidState, "version \(version) is the current version of key \(id); it cannot be disabled")
            }
            try await session.execute(
                "UPDATE key_versions SET enabled = $3 WHERE key_id = $1 AND version = $2", versionBinds + [.bool(enabled)]
            )
            try await session.recordChange(key: id)
        }
    }
}
