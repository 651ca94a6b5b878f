import Foundation
import KMSCore
import KMSStorage

extension PostgresKeyStore {
    public func createKey(_ key: StoredKey, firstVersion: WrappedKeyVersion) async throws(KMSError) {
        let metadata = key.metadata
        try StoreArguments.checkFirstVersion(firstVersion, of: key)
        let keyRow = try RowValues.key(key)
        let versionRow = try RowValues.version(firstVersion)
        let tagRows = try RowValues.tags(metadata.keyID, key.tags)
        try await withTransaction("create a key") { session async throws(KMSError) in
            guard try await !session.keyExists(metadata.keyID) else {
                throw KMSError(.validation, "a key with id \(metadata.keyID) already exists")
            }
            try await session.execute(PostgresRows.insertKey, keyRow)
            try await session.execute(PostgresRows.insertVersion, versionRow)
            for tagRow in tagRows {
                try await session.execute(PostgresRows.upsertTag, tagRow)
            }
            try await session.recordChange(key: metadata.keyID)
        }
    }

    public func key(_ id: KeyID) async throws(KMSError) -> StoredKey? {
        try await withSession("read a key") { session async throws(KMSError) in
            try PostgresRows.decodeKeys(try await session.query(PostgresRows.selectOneKey, [.text(id.description)])).first
        }
    }

    public func listKeys(after: KeyID?, limit: Int) async throws(KMSError) -> [StoredKey] {
        try StoreArguments.checkListLimit(limit)
        return try await withSession("list keys") { session async throws(KMSError) in
            try PostgresRows.decodeKeys(
                try await session.query(PostgresRows.selectKeyPage, [.text(after?.description ?? ""), .integer(Int64(limit))])
            )
        }
    }

    public func keyVersion(_ id: KeyID, version: KeyVersion) async throws(KMSError) -> WrappedKeyVersion? {
        try await withSession("read a key version") { session async throws(KMSError) in
            try await session.query(PostgresRows.selectVersion, [.text(id.description), .integer(Int64(version))])
                .first.map { (row) throws(KMSError) in try PostgresRows.decodeVersion(row) }
        }
    }

    public func updatePolicy(_ id: KeyID, policy: String, expected: String) async throws(KMSError) -> Bool {
        let policyBind = try RowValues.text(policy, field: "policy")
        return try await withTransaction("update a key policy") { session async throws(KMSError) -> Bool in
            let updated = try await session.query(
                "UPDATE keys SET policy = $1 WHERE key_id = $2 AND policy = $3 RETURNING key_id",
                [policyBind, .text(id.description), .text(expected)]
            )
            guard updated.isEmpty else {
                try await session.recordChange(key: id)
                return true
            }
            try await session.requireKey(id)
            return false
        }
    }

    public func setKeyEnabled(_ id: KeyID, enabled: Bool) async throws(KMSError) -> Bool {
        let target: KeyState = enabled ? .enabled : .disabled
        return try await withTransaction("enable or disable a key") { session async throws(KMSError) -> Bool in
            guard try KeyStateRules.enabledChange(of: id, from: try await session.lockKeyState(id), enabled: enabled) else { return false }
            try await session.execute("UPDATE keys SET key_state = $1 WHERE key_id = $2", [.text(target.rawValue), .text(id.description)])
            try await session.recordChange(key: id)
            return true
        }
    }

    public func updateDescription(_ id: KeyID, description: String) async throws(KMSError) {
        let descriptionBind = try RowValues.text(description, field: "description")
        try await withTransaction("update a key description") { session async throws(KMSError) in
            let updated = try await session.query(
                "UPDATE keys SET description = $1 WHERE key_id = $2 RETURNING key_id", [descriptionBind, .text(id.description)]
            )
            guard !updated.isEmpty else { throw KMSError.noKey(id) }
            try await session.recordChange(key: id)
        }
    }

    public func tagKey(_ id: KeyID, tags: [String: String], maxTags: Int) async throws(KMSError) {
        let tagRows = try RowValues.tags(id, tags)
        try await withTransaction("tag a key") { session async throws(KMSError) in
            _ = try await session.lockKeyState(id)
            for tagRow in tagRows {
                try await session.execute(PostgresRows.upsertTag, tagRow)
            }
            let count = try await session.query("SELECT COUNT(*) AS count FROM key_tags WHERE key_id = $1", [.text(id.description)])
                .first?.value("count", as: Int64.self) ?? 0
            guard count <= maxTags else {
                throw KMSError(.limitExceeded, "key \(id) would have \(count) tags; at most \(maxTags) are allowed")
            }
            try await session.recordChange(key: id)
        }
    }

    public func untagKey(_ id: KeyID, tagKeys: [String]) async throws(KMSError) {
        try await withTransaction("untag a key") { session async throws(KMSError) in
            _ = try await session.lockKeyState(id)
            for tagKey in Set(tagKeys) where !tagKey.utf8.contains(0) {
                try await session.execute("DELETE FROM key_tags WHERE key_id = $1 AND tag_key = $2", [.text(id.description), .text(tagKey)])
            }
            try await session.recordChange(key: id)
        }
    }

    public func rootKeyVerifier() async throws(KMSError) -> [UInt8]? {
        try await withSession("read the root key verifier") { session async throws(KMSError) in
            try await session.query("SELECT verifier FROM root_key_verifier WHERE id = 1").first
                .map { (row) throws(KMSError) in try row.bytes("verifier") }
        }
    }

    public func setRootKeyVerifier(_ verifier: [UInt8]) async throws(KMSError) {
        guard !verifier.isEmpty else {
            throw KMSError(.validation, "the root key verifier is empty")
        }
        try await withTransaction("set the root key verifier") { session async throws(KMSError) in
            let inserted = try await session.query(
                "INSERT INTO root_key_verifier (id, verifier) VALUES (1, $1) ON CONFLICT (id) DO NOTHING RETURNING id",
                [.bytes(verifier)]
            )
            guard !inserted.isEmpty else {
                throw KMSError(.validation, "the root key verifier is already set; it can be set only once")
            }
        }
    }
}

extension PostgresSession {
    /// Whether a key has that id.
    func keyExists(_ id: KeyID) async throws(KMSError) -> Bool {
        try await !query("SELECT 1 FROM keys WHERE key_id = $1", [.text(id.description)]).isEmpty
    }

    /// Checks that a key has that id.
    ///
    /// - Throws: `KMSError` `.keyNotFound` when none has.
    func requireKey(_ id: KeyID) async throws(KMSError) {
        guard try await keyExists(id) else { throw KMSError.noKey(id) }
    }

    /// Locks a key's row until the transaction ends and reads its state: the row every
    /// conditional write of the key is decided on.
    ///
    /// - Throws: `KMSError` `.keyNotFound` when no key has that id.
    func lockKeyState(_ id: KeyID) async throws(KMSError) -> KeyState {
        guard let row = try await query("SELECT key_state FROM keys WHERE key_id = $1 FOR UPDATE", [.text(id.description)]).first else {
            throw KMSError.noKey(id)
        }
        return try row.enumValue(KeyState.self, "key_state")
    }
}

extension KMSError {
    /// The error for a key id that no key has.
    static func noKey(_ id: KeyID) -> KMSError {
        KMSError(.keyNotFound, "no key has id \(id)")
    }
}
