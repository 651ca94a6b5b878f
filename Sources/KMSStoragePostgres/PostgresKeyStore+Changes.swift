import KMSCore
import KMSStorage

/// The change feed: every write transaction appends a row to `kms_changes` as its last
/// statement, under a table lock held until it commits, so sequence numbers follow commit
/// order and a node that reads `seq > last` never skips a change that commits later.
/// Readers are not blocked by the lock. The feed holds names only, never values.
extension PostgresKeyStore {
    public var isShared: Bool { true }

    public func latestChangeSequence() async throws(KMSError) -> Int64 {
        try await withSession("read the change feed") { session async throws(KMSError) in
            try await session.query("SELECT COALESCE(MAX(seq), 0) AS latest FROM kms_changes").first?.value("latest", as: Int64.self) ?? 0
        }
    }

    public func changes(after sequence: Int64, limit: Int) async throws(KMSError) -> [StoreChange] {
        try StoreArguments.checkListLimit(limit)
        return try await withSession("read the change feed") { session async throws(KMSError) in
            try await session.query(
                "SELECT seq, key_id, alias FROM kms_changes WHERE seq > $1 ORDER BY seq LIMIT $2", [.integer(sequence), .integer(Int64(limit))]
            ).map { (row) throws(KMSError) in
                StoreChange(
                    sequence: try row.value("seq", as: Int64.self),
                    keyID: try row.value("key_id", as: String?.self).flatMap(KeyID.init(string:)),
                    alias: try row.value("alias", as: String?.self)
                )
            }
        }
    }
}

extension PostgresSession {
    /// Appends a change to the feed. Must be the last statement of a write transaction: the
    /// table lock it takes orders the feed by commit and is held until the commit, and
    /// taking it last means no transaction waits for a row lock while holding it.
    func recordChange(key: KeyID?, alias: String? = nil) async throws(KMSError) {
        try await execute("LOCK TABLE kms_changes IN EXCLUSIVE MODE")
        try await execute(
            "INSERT INTO kms_changes (key_id, alias) VALUES ($1::TEXT, $2::TEXT)",
            [key.map { .text($0.description) } ?? .null, alias.map { .text($0) } ?? .null]
        )
    }
}
