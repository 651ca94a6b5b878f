import Foundation
import KMSCore
import SQLiteNIO

extension SQLiteKeyStore {
    public func setRotation(_ id: KeyID, _ schedule: RotationSchedule?) async throws(KMSError) {
        let scheduleBinds = try Self.rotationBinds(schedule)
        try await connection.withTransaction("set a key's rotation schedule") { session async throws(KMSError) in
            let state = try await session.keyState(id)
            guard schedule == nil || state == .enabled || state == .disabled else {
                throw KMSError(.invalidState, "key \(id) is \(state.rawValue); its rotation cannot be enabled")
            }
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
        guard expectedCurrent < KeyVersion.max, newVersion.version == expectedCurrent + 1 else {
            throw KMSError(
                .validation,
                "the new version of key \(id) is \(newVersion.version); it must follow the current version \(expectedCurrent)"
            )
        }
        guard newVersion.isEnabled else {
            throw KMSError(.validation, "the new version of key \(id) is disabled; a key's current version must be enabled")
        }
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
