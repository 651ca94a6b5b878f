import KMSCore
import KMSCrypto

extension KeyManagementService {
    /// Encrypts with RSA-OAEP under an RSA ENCRYPT_DECRYPT key; the caller has authorized.
    /// The result is what a client holding the public key would make offline.
    ///
    /// - Throws: `.validation` for an encryption context (OAEP has none here) or a
    ///   plaintext too long for the key; the errors of ``requireRSAEncryption(_:for:)``.
    func rsaEncrypt(
        _ request: EncryptRequest,
        under key: CachedKey,
        encryptionContext: EncryptionContext,
        audit: AuditFacts
    ) async throws(KMSError) -> EncryptResult {
        try requireRSAEncryption(key, for: request.encryptionAlgorithm, encryptionContext: encryptionContext)
        let version = key.metadata.currentVersion
        audit.noteVersion(version, of: key.id)
        let privateKey = try await material(of: key, version: version).privateKey()
        let ciphertext = try privateKey.publicKey.encrypt(request.plaintext, algorithm: request.encryptionAlgorithm)
        return EncryptResult(
            ciphertextBlob: ciphertext, keyID: key.id, keyVersion: version, encryptionAlgorithm: request.encryptionAlgorithm
        )
    }

    /// Decrypts raw RSA-OAEP output (`kms:Decrypt`). The ciphertext does not name its key,
    /// so the request must.
    ///
    /// - Throws: `.validation` without `key_id` or with an encryption context;
    ///   `.invalidCiphertext` when it does not decrypt; the key errors of `decrypt`.
    func rsaDecrypt(
        _ request: DecryptRequest,
        encryptionContext: EncryptionContext,
        context: RequestContext
    ) async throws(KMSError) -> DecryptResult {
        guard !request.keyID.isEmpty else {
            throw KMSError(.validation, "key_id is required with encryption_algorithm \(request.encryptionAlgorithm.rawValue)")
        }
        guard (1...Limits.maxCiphertextBytes).contains(request.ciphertextBlob.count) else {
            throw KMSError(.validation, "ciphertext_blob must be 1–\(Limits.maxCiphertextBytes) bytes, got \(request.ciphertextBlob.count)")
        }
        let (key, alias) = try await loadKey(named: request.keyID)
        try authorize(.decrypt, on: key, via: alias, context: context, encryptionContext: encryptionContext)
        try requireRSAEncryption(key, for: request.encryptionAlgorithm, encryptionContext: encryptionContext)
        let version = key.metadata.currentVersion
        context.audit.noteVersion(version, of: key.id)
        let privateKey = try await material(of: key, version: version).privateKey()
        let plaintext = try privateKey.decrypt(request.ciphertextBlob, algorithm: request.encryptionAlgorithm)
        return DecryptResult(plaintext: plaintext, keyID: key.id, keyVersion: version, encryptionAlgorithm: request.encryptionAlgorithm)
    }

    /// Checks an RSA-OAEP call against the key: usable, ENCRYPT_DECRYPT, an RSA spec with
    /// this algorithm, and no encryption context.
    ///
    /// - Throws: `.keyDisabled`, `.keyPendingDeletion`, `.keyDestroyed`,
    ///   `.invalidKeyUsage`, `.validation`.
    private func requireRSAEncryption(
        _ key: CachedKey, for algorithm: EncryptionAlgorithm, encryptionContext: EncryptionContext
    ) throws(KMSError) {
        try key.requireUsable(for: .encryptDecrypt)
        guard key.metadata.encryptionAlgorithms.contains(algorithm) else {
            throw KMSError(
                .invalidKeyUsage,
                "key \(key.id) is a \(key.metadata.keySpec.rawValue) key; it does not work with \(algorithm.rawValue)"
            )
        }
        guard encryptionContext.pairs.isEmpty else {
            throw KMSError(.validation, "encryption_context is not supported with \(algorithm.rawValue); leave it empty")
        }
    }
}
