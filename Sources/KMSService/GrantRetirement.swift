import KMSCore
import KMSStorage

extension KeyManagementService {
    /// Ends a grant at the request of someone it concerns: its retiring principal, its
    /// grantee, or a principal with `kms:RetireGrant` on the key. The grant stops working
    /// for every request that starts after this returns.
    ///
    /// - Parameters:
    ///   - keyID: A key id or `alias/NAME`; required with `grantID`, optional with `grantToken`
    ///     (then it must be the grant's key).
    ///   - grantID: The grant's id; empty when `grantToken` is given.
    ///   - grantToken: The token CreateGrant returned; empty to name the grant by id.
    /// - Throws: `.validation` when neither a token nor a key id and grant id are given;
    ///   `.keyNotFound`; `.grantNotFound` for an unknown, retired or revoked grant;
    ///   `.accessDenied` for anyone else.
    public func retireGrant(keyID raw: String, grantID: String, grantToken: String, context: RequestContext) async throws(KMSError) {
        let grant: Grant
        if grantToken.isEmpty {
            guard !raw.isEmpty, !grantID.isEmpty else {
                throw KMSError(.validation, "give grant_token, or key_id and grant_id")
            }
            grant = try await liveGrant(id: GrantValidation.grantID(grantID), of: loadKey(named: raw).key)
        } else {
            guard let found = try await storage("find grant by token", { try await store.grant(token: grantToken) }) else {
                throw KMSError(.grantNotFound, "no grant has that grant_token")
            }
            if let reference = try await resolveOptionalKey(raw, field: "key_id"), reference.id != found.keyID {
                throw KMSError(.grantNotFound, "no grant of key \(reference.alias ?? reference.id.description) has that grant_token")
            }
            if !grantID.isEmpty, try GrantValidation.grantID(grantID) != found.grantID {
                throw KMSError(.validation, "grant_id does not name the grant of grant_token")
            }
            grant = found
        }
        if context.principal != grant.granteePrincipal, context.principal != grant.retiringPrincipal {
            // A grant listing RetireGrant lets its grantee retire that grant only (covered
            // above), never the key's other grants: here only a policy statement counts.
            if case .allowedByGrant = try authorize(.retireGrant, on: try await loadKey(grant.keyID), context: context) {
                throw KMSError(
                    .accessDenied,
                    "\(context.principal) is not allowed kms:RetireGrant on grant \(grant.grantID): a grant's RetireGrant "
                        + "operation lets its grantee retire only that grant"
                )
            }
        }
        try await deleteGrant(grant, action: "retired", context: context)
    }

    /// Ends a grant as a key administrator (`kms:RevokeGrant` on the key). The grant stops
    /// working for every request that starts after this returns.
    ///
    /// - Parameters:
    ///   - keyID: A key id or `alias/NAME`.
    ///   - grantID: The grant's id.
    /// - Throws: `.validation`, `.keyNotFound`, `.accessDenied`, `.grantNotFound` for an
    ///   unknown, retired or revoked grant of the key.
    public func revokeGrant(keyID raw: String, grantID: String, context: RequestContext) async throws(KMSError) {
        let id = try GrantValidation.grantID(grantID)
        let (key, alias) = try await loadKey(named: raw)
        try authorize(.revokeGrant, on: key, via: alias, context: context)
        try await deleteGrant(liveGrant(id: id, of: key), action: "revoked", context: context)
    }

    /// Reads a grant of `key` from the store (not the cache: it must see other changes).
    ///
    /// - Throws: `.grantNotFound` when the key has no grant with that id.
    private func liveGrant(id: String, of key: CachedKey) async throws(KMSError) -> Grant {
        guard let grant = try await storage("find grant", { try await store.grant(id: id) }), grant.keyID == key.id else {
            throw KMSError(.grantNotFound, "key \(key.id) has no grant \(id)")
        }
        return grant
    }

    /// Deletes a grant and drops its key from the cache, so the grant stops working at once.
    ///
    /// - Throws: `.grantNotFound` when another request ended it first.
    private func deleteGrant(_ grant: Grant, action: String, context: RequestContext) async throws(KMSError) {
        context.audit.noteKey(grant.keyID, alias: nil)
        let deleted = try await commit("delete grant", context: context) { try await store.deleteGrant(id: grant.grantID) }
        cache.invalidate(grant.keyID)
        guard deleted else { throw KMSError(.grantNotFound, "key \(grant.keyID) has no grant \(grant.grantID)") }
        logger.info("grant \(action)", metadata: [
            "key_id": "\(grant.keyID)", "grant_id": "\(grant.grantID)", "principal": "\(context.principal)",
        ])
    }
}
