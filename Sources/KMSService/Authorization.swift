import KMSCore
import KMSPolicy

extension KeyManagementService {
    /// Asks the policy engine whether the caller may perform `action`.
    ///
    /// Key actions are decided by the key's policy and the server policy together;
    /// other actions by the server policy alone. `alias` is the alias the request named
    /// the key by (`kms:RequestAlias`), `nil` when it gave the key id.
    ///
    /// - Throws: `.accessDenied`, naming the principal, action and key.
    func authorize(
        _ action: KMSAction,
        on key: CachedKey?,
        via alias: String? = nil,
        context: RequestContext,
        encryptionContext: EncryptionContext = .empty
    ) throws(KMSError) {
        let request = AccessRequest(
            principal: context.principal,
            action: action,
            keyID: key?.id,
            keySpec: key?.metadata.keySpec,
            keyUsage: key?.metadata.keyUsage,
            encryptionContext: encryptionContext,
            sourceIP: context.sourceIP,
            requestAlias: alias,
            currentTime: clock()
        )
        let decision = PolicyEngine.decide(request, keyPolicy: key?.policy, serverPolicy: serverPolicy)
        guard case .allowed = decision else {
            let target = key.map { " on key \($0.id)" } ?? ""
            let why = if case .explicitDeny = decision { "an explicit Deny applies" } else { "no policy allows it" }
            throw KMSError(.accessDenied, "\(context.principal) is not allowed \(action.rawValue)\(target): \(why)")
        }
    }
}
