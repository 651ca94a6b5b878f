import KMSCore
import KMSPolicy

extension KeyManagementService {
    /// Refuses a key policy that would stop the caller from calling PutKeyPolicy on the key
    /// again: the new policy, the server policy and the key's grants together must still
    /// allow the caller `kms:PutKeyPolicy`.
    ///
    /// - Parameters:
    ///   - policy: The new key policy, compiled.
    ///   - key: The key whose policy it would become.
    ///   - alias: The alias the request named the key by, if any.
    /// - Throws: `.malformedPolicy` saying why and how to store the policy anyway.
    func checkPolicyLockout(_ policy: CompiledPolicy, on key: CachedKey, via alias: String?, context: RequestContext) throws(KMSError) {
        let request = accessRequest(.putKeyPolicy, on: key, via: alias, principal: context.principal, sourceIP: context.sourceIP)
        let decision = PolicyEngine.decide(request, keyPolicy: policy, serverPolicy: serverPolicy, grants: key.grants)
        guard decision.isAllowed else {
            throw KMSError(
                .malformedPolicy,
                "the policy would stop \(context.principal) from calling PutKeyPolicy on key \(key.id) again; "
                    + "set bypass_policy_lockout_safety_check to store it anyway"
            )
        }
    }
}
