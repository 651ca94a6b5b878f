import KMSCore

extension CachedKey {
    /// Checks that the key may be used for cryptography with the given usage.
    ///
    /// - Throws: `.keyDisabled`, `.keyPendingDeletion` or `.invalidKeyUsage`.
    func requireUsable(for usage: KeyUsage) throws(KMSError) {
        switch metadata.keyState {
        case .enabled: break
        case .disabled: throw KMSError(.keyDisabled, "key \(id) is disabled")
        case .pendingDeletion: throw KMSError(.keyPendingDeletion, "key \(id) is pending deletion")
        case .destroyed: throw KMSError(.keyDestroyed, "the material of key \(id) was destroyed")
        }
        guard metadata.keyUsage == usage else {
            throw KMSError(
                .invalidKeyUsage,
                "key \(id) has usage \(metadata.keyUsage.rawValue); this operation needs \(usage.rawValue)"
            )
        }
    }
}
