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

    /// The names of a key's policies (`kms:ListKeyPolicies`): a key has one, `default`.
    ///
    /// - Throws: `.validation`, `.keyNotFound`, `.accessDenied`.
    public func listKeyPolicies(
        keyID raw: String, pageSize: Int = 0, pageToken: String = "", context: RequestContext
    ) async throws(KMSError) -> [String] {
        _ = try PageToken.pageSize(pageSize)
        // One page: no token names a later one.
        _ = try PageToken.decode(pageToken) { _ in String?.none }
        let (key, alias) = try await loadKey(named: raw)
        try authorize(.listKeyPolicies, on: key, via: alias, context: context)
        return [Self.defaultPolicyName]
    }

    /// The name of a key's one policy.
    public static let defaultPolicyName = "default"

    /// Replaces a key's policy document (`kms:PutKeyPolicy`). The new policy applies
    /// to every request that starts after this returns.
    ///
    /// Unless `bypassPolicyLockoutSafetyCheck` is set, a policy that would stop the caller
    /// from calling PutKeyPolicy on the key again is refused.
    /// - Throws: `.validation`, `.keyNotFound`, `.accessDenied`, `.limitExceeded`,
    ///   `.malformedPolicy` for an invalid document or one that would lock the caller out.
    public func putKeyPolicy(
        keyID raw: String,
        policy: String,
        bypassPolicyLockoutSafetyCheck: Bool = false,
        context: RequestContext
    ) async throws(KMSError) {
        var replacedKey: KeyID?
        // The write is a compare-and-swap on the policy this call was authorized against: a
        // call that raced another PutKeyPolicy is decided again under the policy that won.
        try await retryingOnConflict("the key policy") { () async throws(KMSError) -> Bool in
            let (key, alias) = try await loadKey(named: raw)
            try authorize(.putKeyPolicy, on: key, via: alias, context: context)
            guard !policy.isEmpty else { throw KMSError(.validation, "policy is required") }
            let compiled = try CompiledPolicy.compile(policy)
            if !bypassPolicyLockoutSafetyCheck {
                try checkPolicyLockout(compiled, on: key, via: alias, context: context)
            }
            let replaced = try await commit("update policy", context: context) {
                try await store.updatePolicy(key.id, policy: policy, expected: key.stored.policy)
            }
            cache.invalidate(key.id)
            replacedKey = key.id
            return replaced
        }
        logger.info("key policy replaced", metadata: ["key_id": "\(replacedKey?.description ?? raw)", "principal": "\(context.principal)"])
    }
}
