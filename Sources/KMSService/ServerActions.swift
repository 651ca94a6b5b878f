import KMSCore

extension KeyManagementService {
    /// Asks the server policy whether the caller may perform a server-wide action that
    /// another layer carries out, such as `kms:Reflect` (gRPC server reflection, answered by
    /// the gRPC adapter from the descriptors it serves). Key policies and grants play no part,
    /// as for every action that is not about one key.
    ///
    /// - Throws: `.accessDenied`, naming the principal and action; `.internalFailure` when
    ///   `action` is about one key (those are decided with the key, by the operation).
    public func authorizeServerAction(_ action: KMSAction, context: RequestContext) throws(KMSError) {
        guard !action.isKeyAction else {
            throw KMSError(.internalFailure, "\(action.rawValue) is about one key; it cannot be authorized for the whole server")
        }
        try authorize(action, on: nil, context: context)
    }
}
