import KMSCore

extension KeyManagementService {
    /// Disables one version of a key (`kms:DisableKeyVersion`): decrypting a ciphertext
    /// made with it fails with `.keyVersionDisabled` while every other version keeps
    /// working. This contains a leaked version without touching the rest.
    ///
    /// - Parameters:
    ///   - keyID: A key id or `alias/NAME`.
    ///   - version: A version of the key other than the current one.
    /// - Throws: `.validation`, `.keyNotFound`, `.accessDenied`, `.keyDestroyed`;
    ///   `.invalidState` for the current version; `.keyVersionNotFound`.
    public func disableKeyVersion(keyID raw: String, version: KeyVersion, context: RequestContext) async throws(KMSError) {
        try await setVersion(version, of: raw, enabled: false, action: .disableKeyVersion, context: context)
    }

    /// Enables a disabled version of a key again (`kms:EnableKeyVersion`). Enabling an
    /// enabled version changes nothing.
    ///
    /// - Parameters:
    ///   - keyID: A key id or `alias/NAME`.
    ///   - version: A version of the key.
    /// - Throws: `.validation`, `.keyNotFound`, `.accessDenied`, `.keyDestroyed`,
    ///   `.keyVersionNotFound`.
    public func enableKeyVersion(keyID raw: String, version: KeyVersion, context: RequestContext) async throws(KMSError) {
        try await setVersion(version, of: raw, enabled: true, action: .enableKeyVersion, context: context)
    }

    private func setVersion(_ version: KeyVersion, of raw: String, enabled: Bool, action: KMSAction, context: RequestContext) async throws(KMSError) {
        let (key, alias) = try await loadKey(named: raw)
        try authorize(action, on: key, via: alias, context: context)
        context.audit.noteVersion(version, of: key.id)
        // The store checks the key's state and current version in the write's transaction:
        // a cached key may lag a rotation or a destruction.
        try await commit("set key version state", context: context) {
            try await store.setVersionEnabled(key.id, version: version, enabled: enabled)
        }
        cache.invalidate(key.id)
        logger.info("key version \(enabled ? "enabled" : "disabled")", metadata: [
            "key_id": "\(key.id)", "version": "\(version)", "principal": "\(context.principal)",
        ])
    }
}
