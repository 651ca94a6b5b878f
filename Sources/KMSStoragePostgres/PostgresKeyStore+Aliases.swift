import KMSCore
import KMSStorage
import PostgresNIO

extension PostgresKeyStore {
    public func createAlias(_ alias: StoredAlias) async throws(KMSError) {
        guard !alias.name.isEmpty else {
            throw KMSError(.validation, "the alias name is empty")
        }
        let nameBind = try RowValues.text(alias.name, field: "alias name")
        try await withTransaction("create an alias") { session async throws(KMSError) in
            guard try await session.lockAlias(named: alias.name) == nil else {
                throw KMSError(.alreadyExists, "an alias named \(alias.name) already exists")
            }
            try await session.requireKey(alias.targetKeyID)
            try await session.execute(
                "INSERT INTO aliases (name, target_key_id) VALUES ($1, $2)", [nameBind, .text(alias.targetKeyID.description)]
            )
            try await session.recordChange(key: alias.targetKeyID, alias: alias.name)
        }
    }

    public func updateAlias(_ alias: StoredAlias, expectedTarget: KeyID) async throws(KMSError) -> Bool {
        try await withTransaction("update an alias") { session async throws(KMSError) -> Bool in
            guard let stored = try await session.lockAlias(named: alias.name) else {
                throw Self.noAlias(alias.name)
            }
            try await session.requireKey(alias.targetKeyID)
            guard stored.targetKeyID == expectedTarget else { return false }
            try await session.execute(
                "UPDATE aliases SET target_key_id = $1 WHERE name = $2", [.text(alias.targetKeyID.description), .text(alias.name)]
            )
            try await session.recordChange(key: alias.targetKeyID, alias: alias.name)
            return true
        }
    }

    public func deleteAlias(named name: String, expectedTarget: KeyID) async throws(KMSError) -> Bool {
        try await withTransaction("delete an alias") { session async throws(KMSError) -> Bool in
            guard let stored = try await session.lockAlias(named: name) else {
                throw Self.noAlias(name)
            }
            guard stored.targetKeyID == expectedTarget else { return false }
            try await session.execute("DELETE FROM aliases WHERE name = $1", [.text(name)])
            try await session.recordChange(key: expectedTarget, alias: name)
            return true
        }
    }

    public func alias(named name: String) async throws(KMSError) -> StoredAlias? {
        guard !name.utf8.contains(0) else { return nil }
        return try await withSession("read an alias") { session async throws(KMSError) in
            try await session.query("SELECT name, target_key_id FROM aliases WHERE name = $1", [.text(name)])
                .first.map { (row) throws(KMSError) in try Self.decodeAlias(row) }
        }
    }

    public func listAliases(targetKeyID: KeyID?, after name: String?, limit: Int) async throws(KMSError) -> [StoredAlias] {
        try StoreArguments.checkListLimit(limit)
        let binds: [ColumnValue] = [
            targetKeyID.map { .text($0.description) } ?? .null, PostgresRows.cursor(name), .integer(Int64(limit)),
        ]
        return try await withSession("list aliases") { session async throws(KMSError) in
            try await session.query(
                """
                SELECT name, target_key_id FROM aliases
                WHERE ($1::TEXT IS NULL OR target_key_id = $1::TEXT) AND name > $2
                ORDER BY name LIMIT $3
                """,
                binds
            ).map { (row) throws(KMSError) in try Self.decodeAlias(row) }
        }
    }

    static func decodeAlias(_ row: PostgresRandomAccessRow) throws(KMSError) -> StoredAlias {
        StoredAlias(name: try row.value("name", as: String.self), targetKeyID: try row.keyID("target_key_id"))
    }

    /// The error for an alias name that no alias has.
    static func noAlias(_ name: String) -> KMSError {
        KMSError(.aliasNotFound, "no alias is named \(name)")
    }
}

extension PostgresSession {
    /// Locks an alias's row until the transaction ends and reads it.
    ///
    /// - Returns: The alias, or `nil` when no alias has that name.
    func lockAlias(named name: String) async throws(KMSError) -> StoredAlias? {
        guard !name.utf8.contains(0) else { return nil }
        return try await query("SELECT name, target_key_id FROM aliases WHERE name = $1 FOR UPDATE", [.text(name)])
            .first.map { (row) throws(KMSError) in try PostgresKeyStore.decodeAlias(row) }
    }
}
