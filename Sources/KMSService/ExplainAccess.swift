import KMSCore
import KMSPolicy

/// The input of `explainAccess`: a hypothetical request to explain.
public struct ExplainAccessRequest: Sendable {
    /// The principal to explain for (not necessarily the caller).
    public var principal: String
    /// A policy action name, e.g. `kms:Decrypt`.
    public var action: String
    /// A key id or `alias/NAME`; required for key actions, empty for the others.
    public var keyID: String
    /// The encryption context to assume.
    public var encryptionContext: [String: String]
    /// The source IP address to assume; empty for none.
    public var sourceIP: String

    /// Creates a request.
    public init(principal: String, action: String, keyID: String = "", encryptionContext: [String: String] = [:], sourceIP: String = "") {
        self.principal = principal
        self.action = action
        self.keyID = keyID
        self.encryptionContext = encryptionContext
        self.sourceIP = sourceIP
    }
}

extension KeyManagementService {
    /// Explains how a request would be decided: the decision, every statement of the key
    /// and server policies with why it did or did not apply, and every grant of the key
    /// with why it did or did not apply (`kms:ExplainAccess`, server policy).
    ///
    /// The explanation uses the policies and grants in force now, the service's clock,
    /// and the key's spec and usage; its decision is the one a real request would get.
    /// - Throws: `.validation` for an empty principal, an unknown action, a missing
    ///   `key_id` for a key action or one given for another action, or a bad encryption
    ///   context; `.limitExceeded`; `.accessDenied`; `.keyNotFound`.
    public func explainAccess(_ request: ExplainAccessRequest, context: RequestContext) async throws(KMSError) -> AccessExplanation {
        let principal = try GrantValidation.principal(request.principal, field: "principal")
        guard let action = KMSAction(rawValue: request.action) else {
            throw KMSError(.validation, "action '\(request.action)' is not a KMS action; write it as in policies, e.g. kms:Decrypt")
        }
        let encryptionContext = try EncryptionContext(request.encryptionContext)
        try authorize(.explainAccess, on: nil, context: context)
        let named: (key: CachedKey, alias: String?)?
        if action.isKeyAction {
            guard !request.keyID.isEmpty else { throw KMSError(.validation, "key_id is required for \(action.rawValue)") }
            named = try await loadKey(named: request.keyID)
        } else {
            guard request.keyID.isEmpty else {
                throw KMSError(.validation, "key_id must be empty for \(action.rawValue), which is not about one key")
            }
            named = nil
        }
        let access = accessRequest(
            action, on: named?.key, via: named?.alias, principal: principal,
            sourceIP: request.sourceIP.isEmpty ? nil : request.sourceIP, encryptionContext: encryptionContext
        )
        return PolicyEngine.explain(access, keyPolicy: named?.key.policy, serverPolicy: serverPolicy, grants: named?.key.grants ?? [])
    }
}
