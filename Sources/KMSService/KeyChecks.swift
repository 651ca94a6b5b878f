import KMSCore

extension CachedKey {
    /// Checks that the key may be used for cryptography with the given usage and, when
    /// given, only with keys of `spec` (SYMMETRIC_DEFAULT for envelope blobs).
    ///
    /// - Throws: `.keyDisabled`, `.keyPendingDeletion`, `.keyDestroyed` or `.invalidKeyUsage`.
    func requireUsable(for usage: KeyUsage, spec: KeySpec? = nil) throws(KMSError) {
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
        if let spec, metadata.keySpec != spec {
            throw KMSError(.invalidKeyUsage, "key \(id) is a \(metadata.keySpec.rawValue) key; this operation needs a \(spec.rawValue) key")
        }
    }

    /// Checks that new versions of the key can be made: asymmetric and HMAC keys keep their
    /// one version, so a public key handed out stays valid (as in AWS KMS).
    ///
    /// - Throws: `.unsupportedOperation` for keys other than SYMMETRIC_DEFAULT.
    func requireRotatable() throws(KMSError) {
        guard metadata.keySpec.supportsRotation else {
            throw KMSError(.unsupportedOperation, "key \(id) is a \(metadata.keySpec.rawValue) key; only SYMMETRIC_DEFAULT keys rotate")
        }
    }
}
