import KMSCore
import KMSPolicy

extension KeyManagementService {
    /// A key's policy document as stored (`kms:GetKeyPolicy`).
    ///
    /// - Throws: `.validation`, `.keyNotFound`, `.accessDenied`.
    public func getKeyPolicy(keyID raw: String, context: RequestContext) async throws(KMSError) -> String {
        let (key, alias) = try await loadKey(named: raw)
        try authorize(.getKeyPolicy, on: key, via: alias, context: context)
        return key.stored.policy
    }

    /// Replaces a key's policy document (`kms:PutKeyPolicy`). The new policy applies
    /// to every request that starts after this returns.
    ///
    /// - Throws: `.validation`, `.keyNotFound`, `.accessDenied`, `.limitExceeded`,
    ///   `.malformedPolicy`.
    public func putKeyPolicy(keyID raw: String, policy: String, context: RequestContext) async throws(KMSError) {
        let (key, alias) = try await loadKey(named: raw)
        try authorize(.putKeyPolicy, on: key, via: alias, context: context)
        guard !policy.isEmpty else { throw KMSError(.validation, "policy is required") }
        _ = try CompiledPolicy.compile(policy)
        try await storage("update policy") { try await store.updatePolicy(key.id, policy: policy) }
        cache.invalidate(key.id)
        logger.info("key policy replaced", metadata: ["key_id": "\(key.id)", "principal": "\(context.principal)"])
    }
}
