import KMSCore

extension KeyManagementService {
    /// Makes a disabled key usable for cryptography again (`kms:EnableKey`). Enabling an
    /// enabled key changes nothing.
    ///
    /// - Parameter keyID: A key id or `alias/NAME`.
    /// - Throws: `.validation`, `.keyNotFound`, `.accessDenied`, `.keyPendingDeletion`,
    ///   `.keyDestroyed`.
    public func enableKey(keyID: String, context: RequestContext) async throws(KMSError) {
        try await changeState(of: keyID, enabled: true, action: .enableKey, context: context)
    }

    /// Makes a key refuse every cryptographic operation with `.keyDisabled` until it is
    /// enabled again (`kms:DisableKey`). Metadata operations keep working. Disabling a
    /// disabled key changes nothing.
    ///
    /// - Parameter keyID: A key id or `alias/NAME`.
    /// - Throws: `.validation`, `.keyNotFound`, `.accessDenied`, `.keyPendingDeletion`,
    ///   `.keyDestroyed`.
    public func disableKey(keyID: String, context: RequestContext) async throws(KMSError) {
        try await changeState(of: keyID, enabled: false, action: .disableKey, context: context)
    }

    /// The state is checked by the store in the same transaction as the write, never on a
    /// cached copy: a call that races a scheduled deletion or a destruction gets the error it
    /// would have got had it arrived second.
    private func changeState(of raw: String, enabled: Bool, action: KMSAction, context: RequestContext) async throws(KMSError) {
        let (key, alias) = try await loadKey(named: raw)
        try authorize(action, on: key, via: alias, context: context)
        let changed = try await commit("update key state", context: context) {
            try await store.setKeyEnabled(key.id, enabled: enabled)
        }
        cache.invalidate(key.id)
        guard changed else { return }
        logger.info("key state changed", metadata: [
            "key_id": "\(key.id)", "state": "\(enabled ? KeyState.enabled.rawValue : KeyState.disabled.rawValue)",
            "principal": "\(context.principal)",
        ])
    }
}
