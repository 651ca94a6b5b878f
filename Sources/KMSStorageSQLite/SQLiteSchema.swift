import KMSCore
import KMSStorage
import SQLiteNIO

/// The key store's database schema and the forward migrations that build it.
///
/// The schema version is SQLite's `PRAGMA user_version`: 0 for a new file, then the number
/// of migrations applied. Migrations only ever get appended; a shipped one never changes.
enum SQLiteSchema {
    /// `migrations[n]` moves a database from schema version `n` to `n + 1`. Each ends by
    /// setting `user_version`, inside the same transaction as its changes.
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE keys (
                key_id TEXT PRIMARY KEY NOT NULL,
                description TEXT NOT NULL,
                key_spec TEXT NOT NULL,
                key_usage TEXT NOT NULL,
                key_state TEXT NOT NULL,
                creation_date INTEGER NOT NULL,
                current_version INTEGER NOT NULL CHECK (current_version >= 1),
                creator TEXT NOT NULL,
                policy TEXT NOT NULL
            ) STRICT
            """,
            """
            CREATE TABLE key_versions (
                key_id TEXT NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
                version INTEGER NOT NULL CHECK (version >= 1),
                wrapped_material BLOB NOT NULL,
                creation_date INTEGER NOT NULL,
                PRIMARY KEY (key_id, version)
            ) STRICT
            """,
            """
            CREATE TABLE key_tags (
                key_id TEXT NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
                tag_key TEXT NOT NULL,
                tag_value TEXT NOT NULL,
                PRIMARY KEY (key_id, tag_key)
            ) STRICT
            """,
            """
            CREATE TABLE root_key_verifier (
                id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
                verifier BLOB NOT NULL
            ) STRICT
            """,
            "PRAGMA user_version = 1",
        ],
        [
            """
            CREATE TABLE aliases (
                name TEXT PRIMARY KEY NOT NULL CHECK (name <> ''),
                target_key_id TEXT NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE
            ) STRICT, WITHOUT ROWID
            """,
            "CREATE INDEX aliases_by_target ON aliases (target_key_id, name)",
            "PRAGMA user_version = 2",
        ],
        [
            // Scheduled deletion and automatic rotation; existing keys have neither.
            "ALTER TABLE keys ADD COLUMN deletion_date INTEGER",
            "ALTER TABLE keys ADD COLUMN rotation_period_days INTEGER CHECK (rotation_period_days >= 1)",
            """
            ALTER TABLE keys ADD COLUMN next_rotation_date INTEGER
                CHECK ((next_rotation_date IS NULL) = (rotation_period_days IS NULL))
            """,
            "CREATE INDEX keys_by_next_rotation ON keys (next_rotation_date) WHERE next_rotation_date IS NOT NULL",
            "CREATE INDEX keys_by_deletion_date ON keys (deletion_date) WHERE deletion_date IS NOT NULL",
            // Existing versions were all made with their key, and all are enabled.
            "ALTER TABLE key_versions ADD COLUMN rotation_type TEXT NOT NULL DEFAULT 'CREATION'",
            "ALTER TABLE key_versions ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1))",
            "PRAGMA user_version = 3",
        ],
        [
            // Grants: `seq` keeps creation order; operations are a JSON array of action raw
            // values, constraints JSON objects of context key to value ('{}' for no limit).
            """
            CREATE TABLE grants (
                seq INTEGER PRIMARY KEY NOT NULL,
                grant_id TEXT NOT NULL UNIQUE,
                key_id TEXT NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
                name TEXT,
                creation_date INTEGER NOT NULL,
                grantee_principal TEXT NOT NULL,
                retiring_principal TEXT,
                issuing_principal TEXT NOT NULL,
                operations TEXT NOT NULL CHECK (json_valid(operations)),
                context_equals TEXT NOT NULL CHECK (json_valid(context_equals)),
                context_subset TEXT NOT NULL CHECK (json_valid(context_subset)),
                token TEXT NOT NULL UNIQUE
            ) STRICT
            """,
            "CREATE INDEX grants_by_key ON grants (key_id, seq)",
            "CREATE INDEX grants_by_key_and_id ON grants (key_id, grant_id)",
            "CREATE INDEX grants_by_name ON grants (key_id, name, seq) WHERE name IS NOT NULL",
            "CREATE INDEX grants_by_retiring_principal ON grants (retiring_principal, grant_id) WHERE retiring_principal IS NOT NULL",
            "PRAGMA user_version = 4",
        ],
    ]

    /// The schema version this code reads and writes.
    static var currentVersion: Int { migrations.count }

    /// Connection settings applied on open, each with the statement that reads it back and
    /// the value it must then have: a write-ahead log, an fsync on every commit, freed
    /// content overwritten with zeros, enforced foreign keys, and no busy handler: a call that
    /// finds the file locked by another connection fails at once (instead of blocking a
    /// thread of the shared pool, which can starve the connection holding the lock) and
    /// `SerializedConnection` retries it after an asynchronous wait.
    static let settings: [(apply: String, read: String, expected: SQLiteData)] = [
        ("PRAGMA journal_mode = WAL", "PRAGMA journal_mode", .text("wal")),
        ("PRAGMA synchronous = FULL", "PRAGMA synchronous", .integer(2)),
        ("PRAGMA secure_delete = ON", "PRAGMA secure_delete", .integer(1)),
        ("PRAGMA foreign_keys = ON", "PRAGMA foreign_keys", .integer(1)),
        ("PRAGMA busy_timeout = 0", "PRAGMA busy_timeout", .integer(0)),
    ]

    /// Applies the connection settings and checks that each took effect.
    ///
    /// - Throws: `KMSError` `.internalFailure` when a setting fails or does not hold.
    static func applySettings(_ session: SQLiteSession) async throws(KMSError) {
        for setting in settings {
            try await session.execute(setting.apply)
            let value = try await session.query(setting.read).first?.columns.first?.data
            guard value == setting.expected else {
                session.logger.error(
                    "Key store setting did not take effect",
                    metadata: ["setting": .string(setting.apply), "value": .string(value?.description ?? "none")]
                )
                throw KMSError(.internalFailure, "the key store could not apply '\(setting.apply)'")
            }
        }
    }

    /// Brings the schema up to version `target` (normally `currentVersion`) in one transaction.
    ///
    /// - Throws: `KMSError` `.internalFailure` when the database has a version above
    ///   `target` (written by a newer version of this code) or a migration fails.
    static func migrate(_ connection: SerializedConnection, to target: Int) async throws(KMSError) {
        precondition((0...currentVersion).contains(target), "no schema version \(target)")
        try await connection.withTransaction("migrate the schema") { session async throws(KMSError) in
            let row = try await session.query("PRAGMA user_version").first
            guard let found = row?.columns.first?.data.integer, found >= 0 else {
                throw KMSError(.internalFailure, "the key store database has no readable schema version")
            }
            guard found <= target else {
                throw KMSError(
                    .internalFailure,
                    "the key store database has schema version \(found), newer than the supported \(target)"
                )
            }
            for version in found..<target {
                for statement in migrations[version] {
                    try await session.execute(statement)
                }
                session.logger.info(
                    "Migrated key store schema",
                    metadata: ["from": .stringConvertible(version), "to": .stringConvertible(version + 1)]
                )
            }
        }
    }
}
