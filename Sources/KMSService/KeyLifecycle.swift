import KMSCore

extension KeyManagementService {
    /// Makes a disabled key usable for cryptography again (`kms:EnableKey`). Enabling an
    /// enabled key changes nothing.
    ///
    /// - Parameter keyID: A key id or `alias/NAME`.
    /// - Throws: `.validation`, `.keyNotFound`, `.accessDenied`, `.keyPendingDeletion`,
    ///   `.keyDestroyed`.
    public func enableKey(keyID: String, context: RequestContext) async throws(KMSError) {
        try await changeState(of: keyID, to: .enabled, action: .enableKey, context: context)
    }

    /// Makes a key refuse every cryptographic operation with `.keyDisabled` until it is
    /// enabled again (`kms:DisableKey`). Metadata operations keep working. Disabling a
    /// disabled key changes nothing.
    ///
    /// - Parameter keyID: A key id or `alias/NAME`.
    /// - Throws: `.validation`, `.keyNotFound`, `.accessDenied`, `.keyPendingDeletion`,
    ///   `.keyDestroyed`.
    public func disableKey(keyID: String, context: RequestContext) async throws(KMSError) {
        try await changeState(of: keyID, to: .disabled, action: .disableKey, context: context)
    }

    private func changeState(of raw: String, to state: KeyState, action: KMSAction, context: RequestContext) async throws(KMSError) {
        let (key, alias) = try await loadKey(named: raw)
        try authorize(action, on: key, via: alias, context: context)
        switch key.metadata.keyState {
        case state: return
        case .pendingDeletion: throw KMSError(.keyPendingDeletion, "key \(key.id) is pending deletion")
        case .destroyed: throw KMSError(.keyDestroyed, "the material of key \(key.id) was destroyed")
        case .enabled, .disabled: break
        }
        try await storage("update key state") { try await store.updateKeyState(key.id, to: state) }
        cache.invalidate(key.id)
        logger.info("key state changed", metadata: ["key_id": "\(key.id)", "state": "\(state.rawValue)", "principal": "\(context.principal)"])
    }
}
