import Foundation
import KMSCore
import KMSStorage
import Logging
import SQLiteNIO

/// The embedded key store: one SQLite database file.
///
/// The file uses a write-ahead log with an fsync on every commit, overwrites freed content
/// with zeros (`secure_delete`) and enforces foreign keys. A new file is created with mode
/// 0600. All calls share one connection and run one at a time, so transactions never
/// interleave. The schema version lives in `PRAGMA user_version` and is migrated forward
/// on open.
public final class SQLiteKeyStore: KeyStore {
    let connection: SerializedConnection

    private init(connection: SerializedConnection) {
        self.connection = connection
    }

    /// Opens the store at `path`, creating the file (mode 0600) when it is missing and
    /// migrating its schema to the current version.
    ///
    /// - Parameters:
    ///   - path: The database file. Its parent directory must exist.
    ///   - logger: Receives migrations and database failures; never key material.
    /// - Throws: `KMSError` `.internalFailure` when the file cannot be created or opened,
    ///   is not a key store database, was written by a newer version, or a required
    ///   setting does not take effect.
    public static func open(path: String, logger: Logger) async throws(KMSError) -> SQLiteKeyStore {
        try await open(path: path, logger: logger, schemaVersion: SQLiteSchema.currentVersion)
    }

    /// Opens the store at `path` with its schema migrated to `schemaVersion` and no further;
    /// tests use it to make databases as older versions of this code left them.
    ///
    /// - Throws: `KMSError` `.internalFailure` as `open(path:logger:)` does, and when the
    ///   database has a schema version above `schemaVersion`.
    static func open(path: String, logger: Logger, schemaVersion: Int) async throws(KMSError) -> SQLiteKeyStore {
        try createFileIfMissing(path)
        let sqlite: SQLiteConnection
        do {
            sqlite = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        } catch {
            throw SQLiteSession.wrap(error, operation: "open the database at \(path)", logger: logger)
        }
        let connection = SerializedConnection(sqlite, logger: logger)
        do {
            try await connection.withSession("configure the database", SQLiteSchema.applySettings)
            try await SQLiteSchema.migrate(connection, to: schemaVersion)
        } catch {
            try? await connection.close()
            throw error
        }
        return SQLiteKeyStore(connection: connection)
    }

    /// Creates an empty file readable only by its owner, so SQLite (which gives its
    /// journal files the same mode) never makes the store readable by others.
    private static func createFileIfMissing(_ path: String) throws(KMSError) {
        let descriptor = Foundation.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            _ = Foundation.close(descriptor)
            return
        }
        let code = errno
        guard code == EEXIST else {
            throw KMSError(
                .internalFailure,
                "cannot create the key store database at \(path): \(String(cString: strerror(code)))"
            )
        }
    }

    public func createKey(_ key: StoredKey, firstVersion: WrappedKeyVersion) async throws(KMSError) {
        let metadata = key.metadata
        try StoreArguments.checkFirstVersion(firstVersion, of: key)
        let keyRow = try Self.keyRowBinds(key)
        let versionRow = try Self.versionRowBinds(firstVersion)
        let tagRows = try Self.tagRowBinds(metadata.keyID, key.tags)
        try await connection.withTransaction("create a key") { session async throws(KMSError) in
            guard try await !session.keyExists(metadata.keyID) else {
                throw KMSError(.validation, "a key with id \(metadata.keyID) already exists")
            }
            try await session.execute(Self.insertKey, keyRow)
            try await session.execute(StoredKeyRows.insertVersion, versionRow)
            for tagRow in tagRows {
                try await session.execute(Self.upsertTag, tagRow)
            }
        }
    }

    public func key(_ id: KeyID) async throws(KMSError) -> StoredKey? {
        try await connection.withSession("read a key") { session async throws(KMSError) in
            let rows = try await session.query(StoredKeyRows.selectOne, [.text(id.description)])
            return try StoredKeyRows.decode(rows).first
        }
    }

    public func listKeys(after: KeyID?, limit: Int) async throws(KMSError) -> [StoredKey] {
        try StoreArguments.checkListLimit(limit)
        // Every key id sorts after the empty string, so no cursor means "from the first key".
        let cursor = after?.description ?? ""
        return try await connection.withSession("list keys") { session async throws(KMSError) in
            let rows = try await session.query(StoredKeyRows.selectPage, [.text(cursor), .integer(SQLiteInt64(limit))])
            return try StoredKeyRows.decode(rows)
        }
    }

    public func keyVersion(_ id: KeyID, version: KeyVersion) async throws(KMSError) -> WrappedKeyVersion? {
        try await connection.withSession("read a key version") { session async throws(KMSError) in
            let rows = try await session.query(
                StoredKeyRows.selectVersion, [.text(id.description), .integer(SQLiteInt64(version))]
            )
            return try rows.first.map { (row) throws(KMSError) in try StoredKeyRows.decodeVersion(row) }
        }
    }

    public func updatePolicy(_ id: KeyID, policy: String, expected: String) async throws(KMSError) -> Bool {
        let policyBind = try Self.text(policy, field: "policy")
        return try await connection.withTransaction("update a key policy") { session async throws(KMSError) -> Bool in
            let updated = try await session.query(
                "UPDATE keys SET policy = ?1 WHERE key_id = ?2 AND policy = ?3 RETURNING key_id",
                [policyBind, .text(id.description), .text(expected)]
            )
            guard updated.isEmpty else { return true }
            try await session.requireKey(id)
            return false
        }
    }

    public func setKeyEnabled(_ id: KeyID, enabled: Bool) async throws(KMSError) -> Bool {
        let target: KeyState = enabled ? .enabled : .disabled
        return try await connection.withTransaction("enable or disable a key") { session async throws(KMSError) -> Bool in
            guard try KeyStateRules.enabledChange(of: id, from: try await session.keyState(id), enabled: enabled) else { return false }
            try await session.execute(
                "UPDATE keys SET key_state = ? WHERE key_id = ?", [.text(target.rawValue), .text(id.description)]
            )
            return true
        }
    }

    public func updateDescription(_ id: KeyID, description: String) async throws(KMSError) {
        let descriptionBind = try Self.text(description, field: "description")
        try await connection.withTransaction("update a key description") { session async throws(KMSError) in
            let updated = try await session.query(
                "UPDATE keys SET description = ? WHERE key_id = ? RETURNING key_id", [descriptionBind, .text(id.description)]
            )
            guard !updated.isEmpty else {
                throw KMSError.noKey(id)
            }
        }
    }

    public func tagKey(_ id: KeyID, tags: [String: String], maxTags: Int) async throws(KMSError) {
        let tagRows = try Self.tagRowBinds(id, tags)
        try await connection.withTransaction("tag a key") { session async throws(KMSError) in
            try await session.requireKey(id)
            for tagRow in tagRows {
                try await session.execute(Self.upsertTag, tagRow)
            }
            let counted = try await session.query(
                "SELECT COUNT(*) AS count FROM key_tags WHERE key_id = ?", [.text(id.description)]
            )
            guard case .integer(let count) = counted.first?.column("count") else {
                throw KMSError(.internalFailure, "the key store could not count the tags of key \(id)")
            }
            guard count <= maxTags else {
                throw KMSError(.limitExceeded, "key \(id) would have \(count) tags; at most \(maxTags) are allowed")
            }
        }
    }

    public func untagKey(_ id: KeyID, tagKeys: [String]) async throws(KMSError) {
        try await connection.withTransaction("untag a key") { session async throws(KMSError) in
            try await session.requireKey(id)
            // Bound text keeps any NUL, so a tag key that no stored tag has matches nothing.
            for tagKey in Set(tagKeys) {
                try await session.execute(
                    "DELETE FROM key_tags WHERE key_id = ? AND tag_key = ?", [.text(id.description), .text(tagKey)]
                )
            }
        }
    }

    public func rootKeyVerifier() async throws(KMSError) -> [UInt8]? {
        try await connection.withSession("read the root key verifier") { session async throws(KMSError) in
            let rows = try await session.query("SELECT verifier FROM root_key_verifier WHERE id = 1")
            return try rows.first.map { (row) throws(KMSError) in try row.bytes("verifier") }
        }
    }

    public func setRootKeyVerifier(_ verifier: [UInt8]) async throws(KMSError) {
        guard !verifier.isEmpty else {
            throw KMSError(.validation, "the root key verifier is empty")
        }
        try await connection.withTransaction("set the root key verifier") { session async throws(KMSError) in
            let inserted = try await session.query(
                "INSERT INTO root_key_verifier (id, verifier) VALUES (1, ?) ON CONFLICT (id) DO NOTHING RETURNING id",
                [.blob(ByteBuffer(bytes: verifier))]
            )
            guard !inserted.isEmpty else {
                throw KMSError(.validation, "the root key verifier is already set; it can be set only once")
            }
        }
    }

    public func close() async throws(KMSError) {
        try await connection.close()
    }

    // MARK: Binds

    /// The binds of a `keys` row.
    static func keyRowBinds(_ key: StoredKey) throws(KMSError) -> [SQLiteData] {
        try RowValues.key(key).map(SQLiteData.init)
    }

    /// Inserts a key row; binds as `keyRowBinds` makes them.
    static let insertKey = """
        INSERT INTO keys (key_id, description, key_spec, key_usage, key_state, creation_date,
                          current_version, creator, policy, deletion_date, rotation_period_days,
                          next_rotation_date)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    /// Inserts a tag, or replaces the value of the key's tag with that tag key.
    static let upsertTag = """
        INSERT INTO key_tags (key_id, tag_key, tag_value) VALUES (?, ?, ?)
        ON CONFLICT (key_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value
        """

    /// The binds of `upsertTag` for each tag, in tag key order.
    static func tagRowBinds(_ id: KeyID, _ tags: [String: String]) throws(KMSError) -> [[SQLiteData]] {
        try RowValues.tags(id, tags).map { $0.map(SQLiteData.init) }
    }

    /// The binds of `StoredKeyRows.insertVersion`.
    static func versionRowBinds(_ version: WrappedKeyVersion) throws(KMSError) -> [SQLiteData] {
        try RowValues.version(version).map(SQLiteData.init)
    }

    /// Binds text that SQLite can give back unchanged: it reads text up to the first NUL.
    static func text(_ value: String, field: String) throws(KMSError) -> SQLiteData {
        SQLiteData(try RowValues.text(value, field: field))
    }

    /// Binds a date as whole microseconds since 1970.
    ///
    /// - Throws: `KMSError` `.validation` when the date is not finite or out of range.
    static func date(_ value: Date, field: String) throws(KMSError) -> SQLiteData {
        SQLiteData(try RowValues.date(value, field: field))
    }

    /// The binds of the `rotation_period_days` and `next_rotation_date` columns: both NULL
    /// when rotation is disabled.
    static func rotationBinds(_ schedule: RotationSchedule?) throws(KMSError) -> [SQLiteData] {
        try RowValues.rotation(schedule).map(SQLiteData.init)
    }
}
