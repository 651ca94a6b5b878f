import KMSCore
import KMSStorage

/// An alias and the key it names.
public struct AliasEntry: Sendable, Equatable {
    /// The alias, `alias/NAME`.
    public let name: String
    /// The key the alias names.
    public let targetKeyID: KeyID

    /// Creates an entry.
    public init(name: String, targetKeyID: KeyID) {
        self.name = name
        self.targetKeyID = targetKeyID
    }
}

/// One page of `listAliases`.
public struct AliasPage: Sendable {
    /// The aliases, in ascending byte order of their names.
    public let aliases: [AliasEntry]
    /// Empty on the last page.
    public let nextPageToken: String
}

extension KeyManagementService {
    /// Creates an alias, a second name for a key that every `key_id` field accepts
    /// (`kms:CreateAlias` on the target key).
    ///
    /// - Parameters:
    ///   - name: `alias/NAME`, at most 256 characters, NAME of `[A-Za-z0-9/_-]`, not under
    ///     `alias/kms/`.
    ///   - targetKeyID: A key id; not an alias.
    /// - Throws: `.validation`, `.keyNotFound`, `.accessDenied`, `.alreadyExists` when
    ///   the name is in use.
    public func createAlias(name: String, targetKeyID: String, context: RequestContext) async throws(KMSError) {
        try AliasName.checkWritable(name)
        context.audit.noteAlias(name)
        let target = try await loadKey(Self.parseKeyID(targetKeyID, field: "target_key_id"))
        try authorize(.createAlias, on: target, context: context)
        try await commit("create alias", context: context) { try await store.createAlias(StoredAlias(name: name, targetKeyID: target.id)) }
        aliasCache.invalidate(name)
        logger.info("alias created", metadata: ["alias": "\(name)", "key_id": "\(target.id)", "principal": "\(context.principal)"])
    }

    /// Points an alias at another key (`kms:UpdateAlias` on both the current and the new
    /// target). Requests that start after this returns use the new key.
    ///
    /// - Parameters:
    ///   - name: The alias, `alias/NAME`.
    ///   - targetKeyID: A key id; not an alias.
    /// - Throws: `.validation`, `.aliasNotFound`, `.keyNotFound`, `.accessDenied`.
    public func updateAlias(name: String, targetKeyID: String, context: RequestContext) async throws(KMSError) {
        try AliasName.checkWritable(name)
        context.audit.noteAlias(name)
        let newTargetID = try Self.parseKeyID(targetKeyID, field: "target_key_id")
        // Compare-and-swap on the target this call was authorized on: a call that raced
        // another change of the alias is decided again for the alias's new target.
        try await retryingOnConflict("alias \(name)") { () async throws(KMSError) -> Bool in
            let current = try await loadKey(storedAlias(named: name).targetKeyID)
            let newTarget = try await loadKey(newTargetID)
            try authorize(.updateAlias, on: current, context: context)
            try authorize(.updateAlias, on: newTarget, context: context)
            let updated = try await commit("update alias", context: context) {
                try await store.updateAlias(StoredAlias(name: name, targetKeyID: newTarget.id), expectedTarget: current.id)
            }
            aliasCache.invalidate(name)
            return updated
        }
        logger.info("alias updated", metadata: ["alias": "\(name)", "key_id": "\(newTargetID)", "principal": "\(context.principal)"])
    }

    /// Deletes an alias (`kms:DeleteAlias` on its target). The key is not affected;
    /// naming it by this alias is `.keyNotFound` from then on.
    ///
    /// - Parameter name: The alias, `alias/NAME`.
    /// - Throws: `.validation`, `.aliasNotFound`, `.accessDenied`.
    public func deleteAlias(name: String, context: RequestContext) async throws(KMSError) {
        try AliasName.checkWritable(name)
        context.audit.noteAlias(name)
        // Compare-and-swap on the target this call was authorized on, as in `updateAlias`.
        try await retryingOnConflict("alias \(name)") { () async throws(KMSError) -> Bool in
            let target = try await loadKey(storedAlias(named: name).targetKeyID)
            try authorize(.deleteAlias, on: target, context: context)
            let deleted = try await commit("delete alias", context: context) {
                try await store.deleteAlias(named: name, expectedTarget: target.id)
            }
            aliasCache.invalidate(name)
            return deleted
        }
        logger.info("alias deleted", metadata: ["alias": "\(name)", "principal": "\(context.principal)"])
    }

    /// Aliases ordered by name, a page at a time (`kms:ListAliases`, server policy).
    ///
    /// - Parameters:
    ///   - keyID: Empty for every alias, or a key id or `alias/NAME`: only that key's aliases.
    ///   - pageSize: 1–1000, or 0 for the default of 100.
    ///   - pageToken: Empty, or the `nextPageToken` of the previous page of the same listing.
    /// - Throws: `.validation` for a bad size, token or key id; `.accessDenied`;
    ///   `.keyNotFound` when `keyID` names no key.
    public func listAliases(keyID raw: String, pageSize: Int, pageToken: String, context: RequestContext) async throws(KMSError) -> AliasPage {
        let limit = try PageToken.pageSize(pageSize)
        let after = try PageToken.decode(pageToken) { AliasName.isWellFormed($0) ? $0 : nil }
        try authorize(.listAliases, on: nil, context: context)
        let target: KeyID?
        if let reference = try await resolveOptionalKey(raw, field: "key_id") {
            target = try await loadKey(reference.id).id
        } else {
            target = nil
        }
        let stored = try await storage("list aliases") {
            try await store.listAliases(targetKeyID: target, after: after, limit: limit + 1)
        }
        let page = stored.prefix(limit).map { AliasEntry(name: $0.name, targetKeyID: $0.targetKeyID) }
        let next = stored.count > limit ? page.last.map { PageToken.encode($0.name) } ?? "" : ""
        return AliasPage(aliases: Array(page), nextPageToken: next)
    }

    /// Reads an alias from the store (not the cache: changes must see the latest target).
    ///
    /// - Throws: `.aliasNotFound`.
    private func storedAlias(named name: String) async throws(KMSError) -> StoredAlias {
        guard let alias = try await storage("read alias", { try await store.alias(named: name) }) else {
            throw KMSError(.aliasNotFound, "alias \(name) does not exist")
        }
        return alias
    }
}
