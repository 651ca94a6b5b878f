import KMSCore
import KMSPolicy

extension KeyManagementService {
    /// Asks the policy engine whether the caller may perform `action`.
    ///
    /// Key actions are decided by the key's policy, the server policy and the key's live
    /// grants together; other actions by the server policy alone. `alias` is the alias the
    /// request named the key by (`kms:RequestAlias`), `nil` when it gave the key id.
    ///
    /// - Returns: The decision, which allowed the request.
    /// - Throws: `.accessDenied`, naming the principal, action and key.
    @discardableResult
    func authorize(
        _ action: KMSAction,
        on key: CachedKey?,
        via alias: String? = nil,
        context: RequestContext,
        encryptionContext: EncryptionContext = .empty
    ) throws(KMSError) -> AccessDecision {
        let request = accessRequest(
            action, on: key, via: alias, principal: context.principal, sourceIP: context.sourceIP,
            encryptionContext: encryptionContext
        )
        return try authorize(request, on: key, audit: context.audit)
    }

    /// Decides a prepared request against the key's policy and grants and the server policy,
    /// noting the key, alias, encryption context and deciding grant in `audit`.
    ///
    /// - Returns: The decision, which allowed the request.
    /// - Throws: `.accessDenied`, naming the principal, action and key.
    @discardableResult
    func authorize(_ request: AccessRequest, on key: CachedKey?, audit: AuditFacts) throws(KMSError) -> AccessDecision {
        let decision = PolicyEngine.decide(request, keyPolicy: key?.policy, serverPolicy: serverPolicy, grants: key?.grants ?? [])
        if let key {
            if request.action == .reEncryptTo {
                audit.noteDestinationKey(key.id)
            } else {
                audit.noteKey(key.id, alias: request.requestAlias)
            }
        }
        audit.noteEncryptionContext(request.encryptionContext)
        if case .allowedByGrant(let grantID) = decision { audit.noteGrant(grantID) }
        guard decision.isAllowed else {
            let target = key.map { " on key \($0.id)" } ?? ""
            let why = if case .explicitDeny = decision { "an explicit Deny applies" } else { "no policy or grant allows it" }
            throw KMSError(.accessDenied, "\(request.principal) is not allowed \(request.action.rawValue)\(target): \(why)")
        }
        return decision
    }

    /// The request the policy engine decides: who asks for `action` on `key`, with the
    /// values condition keys read, at the service's current time.
    func accessRequest(
        _ action: KMSAction,
        on key: CachedKey?,
        via alias: String?,
        principal: Principal,
        sourceIP: String?,
        encryptionContext: EncryptionContext = .empty
    ) -> AccessRequest {
        AccessRequest(
            principal: principal,
            action: action,
            keyID: key?.id,
            keySpec: key?.metadata.keySpec,
            keyUsage: key?.metadata.keyUsage,
            encryptionContext: encryptionContext,
            sourceIP: sourceIP,
            requestAlias: alias,
            currentTime: clock()
        )
    }
}
