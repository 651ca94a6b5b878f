import KMSCore

/// A key as a request named it: its id, and the alias the caller used, if any.
struct KeyReference: Sendable, Equatable {
    /// The real key id.
    let id: KeyID
    /// The alias the request named the key by (`kms:RequestAlias`); `nil` for a key id.
    let alias: String?
}

extension KeyManagementService {
    /// Resolves a required `key_id` field: a key id, or `alias/NAME` looked up through
    /// the alias cache.
    ///
    /// Only the alias is looked up; whether a key with the id exists is for `loadKey`.
    /// - Throws: `.validation` naming `field` when it is empty or neither a key id nor an
    ///   alias name; `.keyNotFound` when no alias has that name.
    func resolveKey(_ raw: String, field: String) async throws(KMSError) -> KeyReference {
        guard !raw.isEmpty else { throw KMSError(.validation, "\(field) is required") }
        guard AliasName.isAlias(raw) else {
            guard let id = KeyID(string: raw) else {
                throw KMSError(.validation, "\(field) must be a key id (a UUID) or an alias name (alias/NAME)")
            }
            return KeyReference(id: id, alias: nil)
        }
        try AliasName.checkSyntax(raw, field: field)
        try freshness.requireFresh()
        if let cached = aliasCache.get(raw) { return KeyReference(id: cached, alias: raw) }
        let token = aliasCache.readToken()
        guard let stored = try await storage("resolve alias", { try await store.alias(named: raw) }) else {
            throw KMSError(.keyNotFound, "\(raw) does not exist")
        }
        aliasCache.put(stored.targetKeyID, for: raw, readAt: token)
        return KeyReference(id: stored.targetKeyID, alias: raw)
    }

    /// Resolves an optional `key_id` field; empty means not given.
    ///
    /// - Throws: the errors of `resolveKey(_:field:)`.
    func resolveOptionalKey(_ raw: String, field: String) async throws(KMSError) -> KeyReference? {
        raw.isEmpty ? nil : try await resolveKey(raw, field: field)
    }

    /// Reads a field that must be a key id itself, not an alias.
    ///
    /// - Throws: `.validation` naming `field`.
    static func parseKeyID(_ raw: String, field: String) throws(KMSError) -> KeyID {
        guard !raw.isEmpty else { throw KMSError(.validation, "\(field) is required") }
        guard !AliasName.isAlias(raw) else { throw KMSError(.validation, "\(field) must be a key id, not an alias") }
        guard let id = KeyID(string: raw) else { throw KMSError(.validation, "\(field) must be a key id (a UUID)") }
        return id
    }

    /// Resolves a required `key_id` field and loads the key it names.
    ///
    /// - Returns: The key and the alias the request named it by, if any.
    /// - Throws: the errors of `resolveKey(_:field:)` and `loadKey(_:)`.
    func loadKey(named raw: String, field: String = "key_id") async throws(KMSError) -> (key: CachedKey, alias: String?) {
        let reference = try await resolveKey(raw, field: field)
        return (try await loadKey(reference.id), reference.alias)
    }
}
