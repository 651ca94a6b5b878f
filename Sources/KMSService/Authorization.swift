import KMSCore
import KMSPolicy

extension KeyManagementService {
    /// Asks the policy engine whether the caller may perform `action`.
    ///
    /// Key actions are decided by the key's policy, the server policy and the key's live
    /// grants together; other actions by the server policy alone. `alias` is the alias the
    /// request named the key by (`kms:RequestAlias`), `nil` when it gave the key id.
    ///
    /// - Throws: `.accessDenied`, naming the principal, action and key.
    func authorize(
        _ action: KMSAction,
        on key: CachedKey?,
        via alias: String? = nil,
        context: RequestContext,
        encryptionContext: EncryptionContext = .empty
    ) throws(KMSError) {
        let request = accessRequest(
            action, on: key, via: alias, principal: context.principal, sourceIP: context.sourceIP,
            encryptionContext: encryptionContext
        )
        try authorize(request, on: key, audit: context.audit)
    }

    /// Decides a prepared request against the key's policy and grants and the server policy,
    /// noting the key, alias, encryption context and deciding grant in `audit`.
    ///
    /// - Throws: `.accessDenied`, naming the principal, action and key.
    func authorize(_ request: AccessRequest, on key: CachedKey?, audit: AuditFacts) throws(KMSError) {
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
