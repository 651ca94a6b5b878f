import KMSCore
import KMSCrypto

/// An RSA-OAEP ciphertext and the key a request names for it (the ciphertext names none).
struct RSACiphertext {
    let bytes: [UInt8]
    /// A key id or `alias/NAME`, from the request field `field`.
    let keyID: String
    let field: String
    let algorithm: EncryptionAlgorithm
}

extension KeyManagementService {
    /// Encrypts with RSA-OAEP under an RSA ENCRYPT_DECRYPT key; the caller has authorized.
    /// The result is what a client holding the public key would make offline.
    ///
    /// - Throws: `.validation` for an encryption context (OAEP has none here) or a
    ///   plaintext too long for the key; the errors of `requireRSAEncryption`.
    func rsaEncrypt(
        _ plaintext: SecretBytes,
        algorithm: EncryptionAlgorithm,
        under key: CachedKey,
        encryptionContext: EncryptionContext,
        audit: AuditFacts
    ) async throws(KMSError) -> EncryptResult {
        try requireRSAEncryption(key, for: algorithm, encryptionContext: encryptionContext)
        let version = key.metadata.currentVersion
        audit.noteVersion(version, of: key.id)
        let privateKey = try await material(of: key, version: version).privateKey()
        let ciphertext = try privateKey.publicKey.encrypt(plaintext, algorithm: algorithm)
        return EncryptResult(ciphertextBlob: ciphertext, keyID: key.id, keyVersion: version, encryptionAlgorithm: algorithm)
    }

    /// Decrypts raw RSA-OAEP output after checking the named key and authorization for
    /// `action` (`kms:Decrypt`, or `kms:ReEncryptFrom`).
    ///
    /// - Throws: `.validation` without a key id or with an encryption context;
    ///   `.invalidCiphertext` when it does not decrypt (any length but the modulus length
    ///   included); the key errors of `decrypt`.
    func rsaDecrypt(
        _ ciphertext: RSACiphertext,
        encryptionContext: EncryptionContext,
        action: KMSAction,
        context: RequestContext
    ) async throws(KMSError) -> DecryptResult {
        guard !ciphertext.keyID.isEmpty else {
            throw KMSError(.validation, "\(ciphertext.field) is required with \(ciphertext.algorithm.rawValue)")
        }
        let (key, alias) = try await loadKey(named: ciphertext.keyID, field: ciphertext.field)
        try authorize(action, on: key, via: alias, context: context, encryptionContext: encryptionContext)
        try requireRSAEncryption(key, for: ciphertext.algorithm, encryptionContext: encryptionContext)
        let version = key.metadata.currentVersion
        context.audit.noteVersion(version, of: key.id)
        let privateKey = try await material(of: key, version: version).privateKey()
        let plaintext = try privateKey.decrypt(ciphertext.bytes, algorithm: ciphertext.algorithm)
        return DecryptResult(plaintext: plaintext, keyID: key.id, keyVersion: version, encryptionAlgorithm: ciphertext.algorithm)
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
            throw KMSError(.validation, "an encryption context is not supported with \(algorithm.rawValue); leave it empty")
        }
    }
}
