import Foundation
import KMSCore
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
    private let connection: SerializedConnection

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
            try await SQLiteSchema.migrate(connection)
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
        guard firstVersion.keyID == metadata.keyID else {
            throw KMSError(.validation, "the first version belongs to key \(firstVersion.keyID), not \(metadata.keyID)")
        }
        guard firstVersion.version == metadata.currentVersion else {
            throw KMSError(
                .validation,
                "the first version is \(firstVersion.version) but the key's current version is \(metadata.currentVersion)"
            )
        }
        let keyRow = try Self.keyRowBinds(key)
        let versionRow = try Self.versionRowBinds(firstVersion)
        let tagRows = try key.tags.sorted { $0.key < $1.key }.map { (tag) throws(KMSError) -> [SQLiteData] in
            [.text(metadata.keyID.description), try Self.text(tag.key, field: "tag key"), try Self.text(tag.value, field: "tag value")]
        }
        try await connection.withTransaction("create a key") { session async throws(KMSError) in
            let existing = try await session.query("SELECT 1 FROM keys WHERE key_id = ?", [.text(metadata.keyID.description)])
            guard existing.isEmpty else {
                throw KMSError(.validation, "a key with id \(metadata.keyID) already exists")
            }
            try await session.execute(
                """
                INSERT INTO keys (key_id, description, key_spec, key_usage, key_state, creation_date,
                                  current_version, creator, policy)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                keyRow
            )
            try await session.execute(
                "INSERT INTO key_versions (key_id, version, wrapped_material, creation_date) VALUES (?, ?, ?, ?)",
                versionRow
            )
            for tagRow in tagRows {
                try await session.execute("INSERT INTO key_tags (key_id, tag_key, tag_value) VALUES (?, ?, ?)", tagRow)
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
        guard limit >= 1 else {
            throw KMSError(.validation, "the list limit is \(limit); it must be at least 1")
        }
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
                """
                SELECT key_id, version, wrapped_material, creation_date FROM key_versions
                WHERE key_id = ? AND version = ?
                """,
                [.text(id.description), .integer(SQLiteInt64(version))]
            )
            return try rows.first.map { (row) throws(KMSError) in try StoredKeyRows.decodeVersion(row) }
        }
    }

    public func updatePolicy(_ id: KeyID, policy: String) async throws(KMSError) {
        let policyBind = try Self.text(policy, field: "policy")
        try await connection.withSession("update a key policy") { session async throws(KMSError) in
            let updated = try await session.query(
                "UPDATE keys SET policy = ? WHERE key_id = ? RETURNING key_id",
                [policyBind, .text(id.description)]
            )
            guard !updated.isEmpty else {
                throw KMSError(.keyNotFound, "no key has id \(id)")
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
        try await connection.withSession("set the root key verifier") { session async throws(KMSError) in
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

    private static func keyRowBinds(_ key: StoredKey) throws(KMSError) -> [SQLiteData] {
        let metadata = key.metadata
        return [
            .text(metadata.keyID.description),
            try text(metadata.description, field: "description"),
            .text(metadata.keySpec.rawValue),
            .text(metadata.keyUsage.rawValue),
            .text(metadata.keyState.rawValue),
            try date(metadata.creationDate, field: "creation date"),
            .integer(SQLiteInt64(metadata.currentVersion)),
            try text(metadata.creator.name, field: "creator"),
            try text(key.policy, field: "policy"),
        ]
    }

    private static func versionRowBinds(_ version: WrappedKeyVersion) throws(KMSError) -> [SQLiteData] {
        [
            .text(version.keyID.description),
            .integer(SQLiteInt64(version.version)),
            .blob(ByteBuffer(bytes: version.wrappedMaterial)),
            try date(version.creationDate, field: "version creation date"),
        ]
    }

    /// Binds text that SQLite can give back unchanged: it reads text up to the first NUL.
    private static func text(_ value: String, field: String) throws(KMSError) -> SQLiteData {
        guard !value.utf8.contains(0) else {
            throw KMSError(.validation, "the \(field) contains a NUL character")
        }
        return .text(value)
    }

    private static func date(_ value: Date, field: String) throws(KMSError) -> SQLiteData {
        guard let micros = value.microsecondsSince1970 else {
            throw KMSError(.validation, "the \(field) is out of range")
        }
        return .integer(SQLiteInt64(micros))
    }
}
