import KMSCore

/// The key store's PostgreSQL schema and the forward migrations that build it.
///
/// `kms_schema` holds one row with the schema version: the number of migrations applied.
/// Migrations only ever get appended; a shipped one never changes. They run in one
/// transaction under a transaction-scoped advisory lock, so nodes that start together
/// migrate once and the others wait, then find the work done.
enum PostgresSchema {
    /// The advisory lock key that serializes migrations (an arbitrary constant: "kmsSchem").
    static let migrationLock: Int64 = 0x6B6D_7353_6368_656D

    /// `migrations[n]` moves a database from schema version `n` to `n + 1`.
    ///
    /// Text columns that are listed in byte order use the "C" collation; dates are whole
    /// microseconds since 1970 (as in the SQLite store, so both keep the same precision).
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE keys (
                key_id TEXT COLLATE "C" PRIMARY KEY,
                description TEXT NOT NULL,
                key_spec TEXT NOT NULL,
                key_usage TEXT NOT NULL,
                key_state TEXT NOT NULL,
                creation_date BIGINT NOT NULL,
                current_version BIGINT NOT NULL CHECK (current_version >= 1),
                creator TEXT NOT NULL,
                policy TEXT NOT NULL,
                deletion_date BIGINT,
                rotation_period_days BIGINT CHECK (rotation_period_days >= 1),
                next_rotation_date BIGINT CHECK ((next_rotation_date IS NULL) = (rotation_period_days IS NULL))
            )
            """,
            "CREATE INDEX keys_by_next_rotation ON keys (next_rotation_date) WHERE next_rotation_date IS NOT NULL",
            "CREATE INDEX keys_by_deletion_date ON keys (deletion_date) WHERE deletion_date IS NOT NULL",
            """
            CREATE TABLE key_versions (
                key_id TEXT COLLATE "C" NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
                version BIGINT NOT NULL CHECK (version >= 1),
                wrapped_material BYTEA NOT NULL,
                creation_date BIGINT NOT NULL,
                rotation_type TEXT NOT NULL,
                enabled BOOLEAN NOT NULL,
                PRIMARY KEY (key_id, version)
            )
            """,
            """
            CREATE TABLE key_tags (
                key_id TEXT COLLATE "C" NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
                tag_key TEXT COLLATE "C" NOT NULL,
                tag_value TEXT NOT NULL,
                PRIMARY KEY (key_id, tag_key)
            )
            """,
            """
            CREATE TABLE aliases (
                name TEXT COLLATE "C" PRIMARY KEY CHECK (name <> ''),
                target_key_id TEXT COLLATE "C" NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE
            )
            """,
            "CREATE INDEX aliases_by_target ON aliases (target_key_id, name)",
            """
            CREATE TABLE grants (
                seq BIGSERIAL PRIMARY KEY,
                grant_id TEXT COLLATE "C" NOT NULL UNIQUE,
                key_id TEXT COLLATE "C" NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
                name TEXT COLLATE "C",
                creation_date BIGINT NOT NULL,
                grantee_principal TEXT COLLATE "C" NOT NULL,
                retiring_principal TEXT COLLATE "C",
                issuing_principal TEXT NOT NULL,
                operations TEXT NOT NULL,
                context_equals TEXT NOT NULL,
                context_subset TEXT NOT NULL,
                token TEXT NOT NULL UNIQUE
            )
            """,
            "CREATE INDEX grants_by_key ON grants (key_id, seq)",
            "CREATE INDEX grants_by_key_and_id ON grants (key_id, grant_id)",
            "CREATE INDEX grants_by_name ON grants (key_id, name, seq) WHERE name IS NOT NULL",
            "CREATE INDEX grants_by_retiring_principal ON grants (retiring_principal, grant_id) WHERE retiring_principal IS NOT NULL",
            """
            CREATE TABLE root_key_verifier (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                verifier BYTEA NOT NULL
            )
            """,
        ],
        [
            // The change feed other nodes follow to keep their caches current
            // (PostgresKeyStore+Changes.swift).
            """
            CREATE TABLE kms_changes (
                seq BIGSERIAL PRIMARY KEY,
                key_id TEXT COLLATE "C",
                alias TEXT COLLATE "C"
            )
            """,
        ],
    ]

    /// The schema version this code reads and writes.
    static var currentVersion: Int { migrations.count }

    /// Brings the schema up to version `target` (normally `currentVersion`).
    ///
    /// - Throws: `KMSError` `.internalFailure` when the database has a version above
    ///   `target` (written by a newer version of this code) or a migration fails.
    static func migrate(_ store: PostgresKeyStore, to target: Int) async throws(KMSError) {
        precondition((0...currentVersion).contains(target), "no schema version \(target)")
        try await store.withTransaction("migrate the schema") { session async throws(KMSError) in
            try await session.execute("SELECT pg_advisory_xact_lock($1)", [.integer(migrationLock)])
            try await session.execute("CREATE TABLE IF NOT EXISTS kms_schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)")
            try await session.execute("INSERT INTO kms_schema (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING")
            let found = try await session.query("SELECT version FROM kms_schema WHERE id = 1").first?.value("version", as: Int32.self) ?? 0
            guard found <= target else {
                throw KMSError(
                    .internalFailure,
                    "the key store database has schema version \(found), newer than the supported \(target); upgrade kmsd"
                )
            }
            for version in Int(found)..<target {
                for statement in migrations[version] {
                    try await session.execute(statement)
                }
                try await session.execute("UPDATE kms_schema SET version = $1 WHERE id = 1", [.integer(Int64(version + 1))])
                session.logger.info(
                    "Migrated key store schema",
                    metadata: ["from": .stringConvertible(version), "to": .stringConvertible(version + 1)]
                )
            }
        }
    }
}
