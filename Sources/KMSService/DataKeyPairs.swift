import KMSCore
import KMSCrypto

/// The input of `generateDataKeyPair` and `generateDataKeyPairWithoutPlaintext`.
public struct GenerateDataKeyPairRequest: Sendable {
    /// A key id or `alias/NAME` of the SYMMETRIC_DEFAULT key that encrypts the private key.
    public var keyID: String
    public var keyPairSpec: DataKeyPairSpec
    public var encryptionContext: [String: String]

    public init(keyID: String, keyPairSpec: DataKeyPairSpec, encryptionContext: [String: String] = [:]) {
        self.keyID = keyID
        self.keyPairSpec = keyPairSpec
        self.encryptionContext = encryptionContext
    }
}

/// A fresh key pair: the private key (unless asked without) and its encryption under a
/// key, and the public key.
public struct GenerateDataKeyPairResult: Sendable {
    /// PKCS#8 DER; `nil` for `generateDataKeyPairWithoutPlaintext`.
    public let privateKeyPlaintext: SecretBytes?
    /// The PKCS#8 DER sealed under the key, as `encrypt` would; `decrypt` opens it.
    public let privateKeyCiphertextBlob: [UInt8]
    /// DER SubjectPublicKeyInfo.
    public let publicKey: [UInt8]
    public let keyID: KeyID
    public let keyVersion: KeyVersion
}

extension KeyManagementService {
    /// Makes an asymmetric key pair for the caller to use outside the KMS, returning the
    /// private key in the clear and encrypted under a symmetric key (`kms:GenerateDataKeyPair`).
    ///
    /// - Throws: `.validation` for a bad encryption context; `.invalidKeyUsage` unless the
    ///   key is SYMMETRIC_DEFAULT ENCRYPT_DECRYPT; the key errors of `encrypt`.
    public func generateDataKeyPair(_ request: GenerateDataKeyPairRequest, context: RequestContext) async throws(KMSError) -> GenerateDataKeyPairResult {
        try await makeDataKeyPair(request, action: .generateDataKeyPair, context: context, returnPlaintext: true)
    }

    /// Like `generateDataKeyPair`, without the plaintext private key
    /// (`kms:GenerateDataKeyPairWithoutPlaintext`).
    public func generateDataKeyPairWithoutPlaintext(
        _ request: GenerateDataKeyPairRequest, context: RequestContext
    ) async throws(KMSError) -> GenerateDataKeyPairResult {
        try await makeDataKeyPair(request, action: .generateDataKeyPairWithoutPlaintext, context: context, returnPlaintext: false)
    }

    private func makeDataKeyPair(
        _ request: GenerateDataKeyPairRequest,
        action: KMSAction,
        context: RequestContext,
        returnPlaintext: Bool
    ) async throws(KMSError) -> GenerateDataKeyPairResult {
        let encryptionContext = try EncryptionContext(request.encryptionContext)
        let (key, alias) = try await loadKey(named: request.keyID)
        try authorize(action, on: key, via: alias, context: context, encryptionContext: encryptionContext)
        // Checked before the (for RSA, slow) key generation; `seal` checks again.
        try key.requireUsable(for: .encryptDecrypt, spec: .symmetricDefault)
        let pair = try await KeyGeneration.privateKey(request.keyPairSpec.keySpec)
        let privateKey = pair.pkcs8
        let sealed = try await seal(privateKey, under: key, encryptionContext: encryptionContext, audit: context.audit)
        return GenerateDataKeyPairResult(
            privateKeyPlaintext: returnPlaintext ? privateKey : nil,
            privateKeyCiphertextBlob: sealed.ciphertextBlob,
            publicKey: pair.publicKey.subjectPublicKeyInfo,
            keyID: sealed.keyID,
            keyVersion: sealed.keyVersion
        )
    }
}
