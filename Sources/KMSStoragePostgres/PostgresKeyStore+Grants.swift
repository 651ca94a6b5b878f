import KMSCore
import KMSStorage
import PostgresNIO

extension PostgresKeyStore {
    private static let grantColumns = """
        grant_id, key_id, name, creation_date, grantee_principal, retiring_principal, issuing_principal,
        operations, context_equals, context_subset, token
        """
    private static let selectGrants = "SELECT \(grantColumns) FROM grants"
    static let insertGrant = "INSERT INTO grants (\(grantColumns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"

    public func createGrant(_ grant: Grant) async throws(KMSError) {
        let binds = try RowValues.grant(grant)
        let keyBind = ColumnValue.text(grant.keyID.description)
        try await withTransaction("create a grant") { session async throws(KMSError) in
            try KeyStateRules.checkGrantable(grant.keyID, try await session.lockKeyState(grant.keyID))
            guard try await session.query("SELECT 1 FROM grants WHERE grant_id = $1", [.text(grant.grantID)]).isEmpty else {
                throw KMSError(.alreadyExists, "a grant with id \(grant.grantID) already exists")
            }
            guard try await session.query("SELECT 1 FROM grants WHERE token = $1", [.text(grant.token)]).isEmpty else {
                throw KMSError(.alreadyExists, "a grant with the same token already exists")
            }
            let count = try await session.query("SELECT COUNT(*) AS count FROM grants WHERE key_id = $1", [keyBind])
                .first?.value("count", as: Int64.self) ?? 0
            guard count < Limits.maxGrantsPerKey else {
                throw KMSError(.limitExceeded, "key \(grant.keyID) already has \(count) grants; at most \(Limits.maxGrantsPerKey) are allowed")
            }
            try await session.execute(Self.insertGrant, binds)
            try await session.recordChange(key: grant.keyID)
        }
    }

    public func grants(of keyID: KeyID) async throws(KMSError) -> [Grant] {
        try await readGrants("read the grants of a key", Self.selectGrants + " WHERE key_id = $1 ORDER BY seq", [.text(keyID.description)])
    }

    public func grant(id: String) async throws(KMSError) -> Grant? {
        guard !id.utf8.contains(0) else { return nil }
        return try await readGrants("read a grant", Self.selectGrants + " WHERE grant_id = $1", [.text(id)]).first
    }

    public func grant(token: String) async throws(KMSError) -> Grant? {
        guard !token.utf8.contains(0) else { return nil }
        return try await readGrants("read a grant by token", Self.selectGrants + " WHERE token = $1", [.text(token)]).first
    }

    public func grant(named name: String, keyID: KeyID) async throws(KMSError) -> [Grant] {
        guard !name.utf8.contains(0) else { return [] }
        return try await readGrants(
            "read grants by name", Self.selectGrants + " WHERE key_id = $2 AND name = $1 ORDER BY seq", [.text(name), .text(keyID.description)]
        )
    }

    public func deleteGrant(id: String) async throws(KMSError) -> Bool {
        guard !id.utf8.contains(0) else { return false }
        return try await withTransaction("delete a grant") { session async throws(KMSError) -> Bool in
            guard let row = try await session.query("DELETE FROM grants WHERE grant_id = $1 RETURNING key_id", [.text(id)]).first else {
                return false
            }
            try await session.recordChange(key: try row.keyID("key_id"))
            return true
        }
    }

    public func listGrants(
        keyID: KeyID, grantID: String?, grantee: Principal?, after: String?, limit: Int
    ) async throws(KMSError) -> [Grant] {
        try StoreArguments.checkListLimit(limit)
        // A filter with a NUL matches no stored grant.
        guard [grantID, grantee?.name].allSatisfy({ !($0?.utf8.contains(0) ?? false) }) else { return [] }
        let binds: [ColumnValue] = [
            .text(keyID.description), PostgresRows.cursor(after), .integer(Int64(limit)),
            grantID.map { .text($0) } ?? .null, grantee.map { .text($0.name) } ?? .null,
        ]
        return try await readGrants("list grants", Self.selectGrants + """
             WHERE key_id = $1 AND grant_id > $2 AND ($4::TEXT IS NULL OR grant_id = $4::TEXT)
               AND ($5::TEXT IS NULL OR grantee_principal = $5::TEXT)
            ORDER BY grant_id LIMIT $3
            """, binds)
    }

    public func listRetirableGrants(retiringPrincipal: Principal, after: String?, limit: Int) async throws(KMSError) -> [Grant] {
        try StoreArguments.checkListLimit(limit)
        guard !retiringPrincipal.name.utf8.contains(0) else { return [] }
        let binds: [ColumnValue] = [.text(retiringPrincipal.name), PostgresRows.cursor(after), .integer(Int64(limit))]
        return try await readGrants(
            "list retirable grants",
            Self.selectGrants + " WHERE retiring_principal = $1 AND grant_id > $2 ORDER BY grant_id LIMIT $3",
            binds
        )
    }

    private func readGrants(_ operation: String, _ sql: String, _ binds: [ColumnValue]) async throws(KMSError) -> [Grant] {
        try await withSession(operation) { session async throws(KMSError) in
            try await session.query(sql, binds).map { (row) throws(KMSError) in try Self.decodeGrant(row) }
        }
    }

    private static func decodeGrant(_ row: PostgresRandomAccessRow) throws(KMSError) -> Grant {
        Grant(
            grantID: try row.value("grant_id", as: String.self),
            keyID: try row.keyID("key_id"),
            name: try row.value("name", as: String?.self),
            creationDate: try row.date("creation_date"),
            granteePrincipal: Principal(try row.value("grantee_principal", as: String.self)),
            retiringPrincipal: try row.value("retiring_principal", as: String?.self).map(Principal.init),
            issuingPrincipal: Principal(try row.value("issuing_principal", as: String.self)),
            operations: try GrantJSON.decodeOperations(try row.value("operations", as: String.self), column: "operations"),
            constraints: GrantConstraints(
                encryptionContextEquals: try GrantJSON.decodeConstraint(try row.value("context_equals", as: String.self), column: "context_equals"),
                encryptionContextSubset: try GrantJSON.decodeConstraint(try row.value("context_subset", as: String.self), column: "context_subset")
            ),
            token: try row.value("token", as: String.self)
        )
    }
}
