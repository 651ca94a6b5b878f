import KMSCore
import KMSStorage
import SQLiteNIO

extension SQLiteKeyStore {
    public func listVersions(_ id: KeyID, after: KeyVersion?, limit: Int) async throws(KMSError) -> [WrappedKeyVersion] {
        try StoreArguments.checkListLimit(limit)
        // Every version is at least 1, so no cursor means "from the first version".
        let binds: [SQLiteData] = [
            .text(id.description), .integer(SQLiteInt64(after ?? 0)), .integer(SQLiteInt64(limit)),
        ]
        return try await connection.withTransaction("list key versions") { session async throws(KMSError) in
            try await session.requireKey(id)
            return try await session.query(StoredKeyRows.selectVersionPage, binds).map { (row) throws(KMSError) in
                try StoredKeyRows.decodeVersion(row)
            }
        }
    }

    public func setVersionEnabled(_ id: KeyID, version: KeyVersion, enabled: Bool) async throws(KMSError) {
        try await connection.withTransaction("enable or disable a key version") { session async throws(KMSError) in
            let keyRow = try await session.query(
                "SELECT current_version, key_state FROM keys WHERE key_id = ?", [.text(id.description)]
            )
            guard let row = keyRow.first else {
                throw KMSError.noKey(id)
            }
            try KeyStateRules.checkHasVersions(id, try row.enumValue(KeyState.self, "key_state"))
            let current = try row.version("current_version")
            let versionBinds: [SQLiteData] = [.text(id.description), .integer(SQLiteInt64(version))]
            guard try await !session.query("SELECT 1 FROM key_versions WHERE key_id = ?1 AND version = ?2", versionBinds).isEmpty else {
                throw KMSError(.keyVersionNotFound, "key \(id) has no version \(version)")
            }
            guard enabled || version != current else {
                throw KMSError(.invalidState, "version \(version) is the current version of key \(id); it cannot be disabled")
            }
            try await session.execute(
                "UPDATE key_versions SET enabled = ?3 WHERE key_id = ?1 AND version = ?2", versionBinds + [.integer(enabled ? 1 : 0)]
            )
        }
    }
}
