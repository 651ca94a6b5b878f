import KMSCore
import KMSStorage
import SQLiteNIO

extension SQLiteKeyStore {
    public func createAlias(_ alias: StoredAlias) async throws(KMSError) {
        guard !alias.name.isEmpty else {
            throw KMSError(.validation, "the alias name is empty")
        }
        let nameBind = try Self.text(alias.name, field: "alias name")
        try await connection.withTransaction("create an alias") { session async throws(KMSError) in
            guard try await session.alias(named: alias.name) == nil else {
                throw KMSError(.alreadyExists, "an alias named \(alias.name) already exists")
            }
            try await session.requireKey(alias.targetKeyID)
            try await session.execute(
                "INSERT INTO aliases (name, target_key_id) VALUES (?, ?)", [nameBind, .text(alias.targetKeyID.description)]
            )
        }
    }

    public func updateAlias(_ alias: StoredAlias, expectedTarget: KeyID) async throws(KMSError) -> Bool {
        try await connection.withTransaction("update an alias") { session async throws(KMSError) -> Bool in
            guard let stored = try await session.alias(named: alias.name) else {
                throw KMSError.noAlias(alias.name)
            }
            try await session.requireKey(alias.targetKeyID)
            guard stored.targetKeyID == expectedTarget else { return false }
            try await session.execute(
                "UPDATE aliases SET target_key_id = ? WHERE name = ?", [.text(alias.targetKeyID.description), .text(alias.name)]
            )
            return true
        }
    }

    public func deleteAlias(named name: String, expectedTarget: KeyID) async throws(KMSError) -> Bool {
        try await connection.withTransaction("delete an alias") { session async throws(KMSError) -> Bool in
            guard let stored = try await session.alias(named: name) else {
                throw KMSError.noAlias(name)
            }
            guard stored.targetKeyID == expectedTarget else { return false }
            try await session.execute("DELETE FROM aliases WHERE name = ?", [.text(name)])
            return true
        }
    }

    public func alias(named name: String) async throws(KMSError) -> StoredAlias? {
        try await connection.withSession("read an alias") { session async throws(KMSError) in
            try await session.alias(named: name)
        }
    }

    public func listAliases(targetKeyID: KeyID?, after name: String?, limit: Int) async throws(KMSError) -> [StoredAlias] {
        try StoreArguments.checkListLimit(limit)
        // Every alias name sorts after the empty string, so no cursor means "from the first alias".
        var binds: [SQLiteData] = [.text(name ?? ""), .integer(SQLiteInt64(limit))]
        let sql: String
        if let targetKeyID {
            sql = AliasRows.selectPageOfTarget
            binds.append(.text(targetKeyID.description))
        } else {
            sql = AliasRows.selectPage
        }
        return try await connection.withSession("list aliases") { session async throws(KMSError) in
            try await session.query(sql, binds).map { (row) throws(KMSError) in try AliasRows.decode(row) }
        }
    }
}

/// The queries that read aliases, and the decoding of their rows.
private enum AliasRows {
    private static let columns = "SELECT name, target_key_id FROM aliases"

    /// Reads the alias whose name is bound as parameter 1.
    static let selectOne = columns + " WHERE name = ?1"

    /// Reads up to parameter 2 aliases whose names sort after parameter 1.
    static let selectPage = columns + " WHERE name > ?1 ORDER BY name LIMIT ?2"

    /// Reads up to parameter 2 aliases of the key bound as parameter 3 whose names sort
    /// after parameter 1.
    static let selectPageOfTarget = columns + " WHERE target_key_id = ?3 AND name > ?1 ORDER BY name LIMIT ?2"

    /// Decodes a row of the queries above.
    ///
    /// - Throws: `KMSError` `.internalFailure` when the row does not hold a valid alias.
    static func decode(_ row: SQLiteRow) throws(KMSError) -> StoredAlias {
        StoredAlias(name: try row.text("name"), targetKeyID: try row.keyID("target_key_id"))
    }
}

extension SQLiteSession {
    /// Reads the alias with that name, or `nil` when none has it. Bound text keeps any NUL,
    /// so a name no stored alias has matches nothing.
    fileprivate func alias(named name: String) async throws(KMSError) -> StoredAlias? {
        try await query(AliasRows.selectOne, [.text(name)]).first.map { (row) throws(KMSError) in try AliasRows.decode(row) }
    }
}

extension KMSError {
    /// The error for an alias name that no alias has.
    fileprivate static func noAlias(_ name: String) -> KMSError {
        KMSError(.aliasNotFound, "no alias is named \(name)")
    }
}
