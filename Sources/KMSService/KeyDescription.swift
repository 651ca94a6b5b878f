import KMSCore

extension KeyManagementService {
    /// Replaces a key's description (`kms:UpdateKeyDescription`). Works whatever the
    /// key's state.
    ///
    /// - Parameters:
    ///   - keyID: A key id or `alias/NAME`.
    ///   - description: At most 8192 characters; may be empty.
    /// - Throws: `.limitExceeded`, `.validation`, `.keyNotFound`, `.accessDenied`.
    public func updateKeyDescription(keyID raw: String, description: String, context: RequestContext) async throws(KMSError) {
        try Validation.description(description)
        let (key, alias) = try await loadKey(named: raw)
        try authorize(.updateKeyDescription, on: key, via: alias, context: context)
        try await commit("update description", context: context) { try await store.updateDescription(key.id, description: description) }
        cache.invalidate(key.id)
        logger.info("key description updated", metadata: ["key_id": "\(key.id)", "principal": "\(context.principal)"])
    }
}
