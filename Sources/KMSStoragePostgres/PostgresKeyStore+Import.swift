import KMSCore
import KMSStorage

extension PostgresKeyStore {
    public func importKey(_ key: StoredKey, versions: [WrappedKeyVersion], grants: [Grant]) async throws(KMSError) {
        try StoreArguments.checkImport(key, versions: versions, grants: grants)
        let keyRow = try RowValues.key(key)
        let versionRows = try versions.map { (version) throws(KMSError) in try RowValues.version(version) }
        let tagRows = try RowValues.tags(key.metadata.keyID, key.tags)
        let grantRows = try grants.map { (grant) throws(KMSError) in try RowValues.grant(grant) }
        try await withTransaction("import a key") { session async throws(KMSError) in
            guard try await !session.keyExists(key.metadata.keyID) else {
                throw KMSError(.validation, "a key with id \(key.metadata.keyID) already exists")
            }
            try await session.execute(PostgresRows.insertKey, keyRow)
            for row in versionRows { try await session.execute(PostgresRows.insertVersion, row) }
            for row in tagRows { try await session.execute(PostgresRows.upsertTag, row) }
            for row in grantRows { try await session.execute(Self.insertGrant, row) }
            try await session.recordChange(key: key.metadata.keyID)
        }
    }
}
