import Foundation
import KMSCore
import KMSStorage
import SQLiteNIO

extension SQLiteKeyStore {
    public func setRotation(_ id: KeyID, _ schedule: RotationSchedule?) async throws(KMSError) {
        let scheduleBinds = try Self.rotationBinds(schedule)
        try await connection.withTransaction("set a key's rotation schedule") { session async throws(KMSError) in
            let state = try await session.keyState(id)
            try KeyStateRules.checkRotationSchedule(id, state, schedule)
            try await session.execute(
                "UPDATE keys SET rotation_period_days = ?, next_rotation_date = ? WHERE key_id = ?",
                scheduleBinds + [.text(id.description)]
            )
        }
    }

    public func addVersion(
        _ newVersion: WrappedKeyVersion, expectedCurrent: KeyVersion, dueBy: Date?, nextSchedule: RotationSchedule?
    ) async throws(KMSError) -> Bool {
        let id = newVersion.keyID
        try StoreArguments.checkNewVersion(newVersion, expectedCurrent: expectedCurrent)
        let versionRow = try Self.versionRowBinds(newVersion)
        let scheduleBinds = try Self.rotationBinds(nextSchedule)
        let dueByBind: SQLiteData = if let dueBy { try Self.date(dueBy, field: "due date") } else { .null }
        let binds: [SQLiteData] = [
            .text(id.description), .integer(SQLiteInt64(expectedCurrent)), .integer(SQLiteInt64(newVersion.version)),
            .text(KeyState.enabled.rawValue), dueByBind,
        ] + scheduleBinds
        return try await connection.withTransaction("rotate a key") { session async throws(KMSError) -> Bool in
            // Both schedule binds are NULL (keep the schedule) or both are set.
            let swapped = try await session.query(
                """
                UPDATE keys SET current_version = ?3,
                                rotation_period_days = COALESCE(?6, rotation_period_days),
                                next_rotation_date = COALESCE(?7, next_rotation_date)
                WHERE key_id = ?1 AND current_version = ?2 AND key_state = ?4
                  AND (?5 IS NULL OR next_rotation_date <= ?5)
                RETURNING key_id
                """,
                binds
            )
            guard !swapped.isEmpty else {
                try await session.requireKey(id)
                return false
            }
            try await session.execute(StoredKeyRows.insertVersion, versionRow)
            return true
        }
    }
}
