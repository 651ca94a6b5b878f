import KMSCore
import KMSStorage
import SQLiteNIO

extension SQLiteKeyStore {
    public func createGrant(_ grant: Grant) async throws(KMSError) {
        let binds = try GrantRows.binds(grant)
        let keyBind = SQLiteData.text(grant.keyID.description)
        try await connection.withTransaction("create a grant") { session async throws(KMSError) in
            try KeyStateRules.checkGrantable(grant.keyID, try await session.keyState(grant.keyID))
            guard try await session.query("SELECT 1 FROM grants WHERE grant_id = ?", [.text(grant.grantID)]).isEmpty else {
                throw KMSError(.alreadyExists, "a grant with id \(grant.grantID) already exists")
            }
            guard try await session.query("SELECT 1 FROM grants WHERE token = ?", [.text(grant.token)]).isEmpty else {
                throw KMSError(.alreadyExists, "a grant with the same token already exists")
            }
            let counted = try await session.query("SELECT COUNT(*) AS count FROM grants WHERE key_id = ?", [keyBind])
            guard case .integer(let count) = counted.first?.column("count") else {
                throw KMSError(.internalFailure, "the key store could not count the grants of key \(grant.keyID)")
            }
            guard count < Limits.maxGrantsPerKey else {
                throw KMSError(
                    .limitExceeded, "key \(grant.keyID) already has \(count) grants; at most \(Limits.maxGrantsPerKey) are allowed"
                )
            }
            try await session.execute(GrantRows.insert, binds)
        }
    }

    public func grants(of keyID: KeyID) async throws(KMSError) -> [Grant] {
        try await readGrants("read the grants of a key", GrantRows.selectOfKey, [.text(keyID.description)])
    }

    public func grant(id: String) async throws(KMSError) -> Grant? {
        try await readGrants("read a grant", GrantRows.selectByID, [.text(id)]).first
    }

    public func grant(token: String) async throws(KMSError) -> Grant? {
        try await readGrants("read a grant by token", GrantRows.selectByToken, [.text(token)]).first
    }

    public func grant(named name: String, keyID: KeyID) async throws(KMSError) -> [Grant] {
        try await readGrants("read grants by name", GrantRows.selectByName, [.text(name), .text(keyID.description)])
    }

    public func deleteGrant(id: String) async throws(KMSError) -> Bool {
        try await connection.withTransaction("delete a grant") { session async throws(KMSError) in
            try await !session.query("DELETE FROM grants WHERE grant_id = ? RETURNING grant_id", [.text(id)]).isEmpty
        }
    }

    public func listGrants(
        keyID: KeyID, grantID: String?, grantee: Principal?, after: String?, limit: Int
    ) async throws(KMSError) -> [Grant] {
        try StoreArguments.checkListLimit(limit)
        // Every grant id sorts after the empty string, so no cursor means "from the first grant".
        let binds: [SQLiteData] = [
            .text(keyID.description), .text(after ?? ""), .integer(SQLiteInt64(limit)),
            grantID.map { .text($0) } ?? .null, grantee.map { .text($0.name) } ?? .null,
        ]
        return try await readGrants("list grants", GrantRows.selectPageOfKey, binds)
    }

    public func listRetirableGrants(retiringPrincipal: Principal, after: String?, limit: Int) async throws(KMSError) -> [Grant] {
        try StoreArguments.checkListLimit(limit)
        let binds: [SQLiteData] = [.text(retiringPrincipal.name), .text(after ?? ""), .integer(SQLiteInt64(limit))]
        return try await readGrants("list retirable grants", GrantRows.selectRetirablePage, binds)
    }

    /// Runs one query of `GrantRows` and decodes its rows. Bound text keeps any NUL, so a
    /// value that no stored grant has matches nothing.
    private func readGrants(_ operation: String, _ sql: String, _ binds: [SQLiteData]) async throws(KMSError) -> [Grant] {
        try await connection.withSession(operation) { session async throws(KMSError) in
            try await session.query(sql, binds).map { (row) throws(KMSError) in try GrantRows.decode(row) }
        }
    }
}
