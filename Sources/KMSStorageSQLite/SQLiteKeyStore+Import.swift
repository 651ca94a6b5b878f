import KMSCore
import KMSStorage
import SQLiteNIO

extension SQLiteKeyStore {
    public func importKey(_ key: StoredKey, versions: [WrappedKeyVersion], grants: [Grant]) async throws(KMSError) {
        try StoreArguments.checkImport(key, versions: versions, grants: grants)
        let keyRow = try Self.keyRowBinds(key)
        let versionRows = try versions.map { (version) throws(KMSError) in try Self.versionRowBinds(version) }
        let tagRows = try Self.tagRowBinds(key.metadata.keyID, key.tags)
        let grantRows = try grants.map { (grant) throws(KMSError) in try GrantRows.binds(grant) }
        try await connection.withTransaction("import a key") { session async throws(KMSError) in
            guard try await !session.keyExists(key.metadata.keyID) else {
                throw KMSError(.validation, "a key with id \(key.metadata.keyID) already exists")
            }
            try await session.execute(Self.insertKey, keyRow)
            for row in versionRows { try await session.execute(StoredKeyRows.insertVersion, row) }
            for row in tagRows { try await session.execute(Self.upsertTag, row) }
            for row in grantRows { try await session.execute(GrantRows.insert, row) }
        }
    }
}
