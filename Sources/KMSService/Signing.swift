import KMSCore
import KMSCrypto

/// The input of `sign`.
public struct SignRequest: Sendable {
    /// A key id or `alias/NAME` of a SIGN_VERIFY key.
    public var keyID: String
    /// The message (RAW) or its digest (DIGEST).
    public var message: SigningInput
    public var signingAlgorithm: SigningAlgorithm

    public init(keyID: String, message: SigningInput, signingAlgorithm: SigningAlgorithm) {
        self.keyID = keyID
        self.message = message
        self.signingAlgorithm = signingAlgorithm
    }
}

/// A signature and the key version that made it.
public struct SignResult: Sendable {
    /// ECDSA: DER; Ed25519: 64 bytes; RSA: the modulus length.
    public let signature: [UInt8]
    public let keyID: KeyID
    public let keyVersion: KeyVersion
    public let signingAlgorithm: SigningAlgorithm
}

/// The input of `verify`.
public struct VerifyRequest: Sendable {
    /// A key id or `alias/NAME` of a SIGN_VERIFY key.
    public var keyID: String
    public var message: SigningInput
    public var signature: [UInt8]
    public var signingAlgorithm: SigningAlgorithm

    public init(keyID: String, message: SigningInput, signature: [UInt8], signingAlgorithm: SigningAlgorithm) {
        self.keyID = keyID
        self.message = message
        self.signature = signature
        self.signingAlgorithm = signingAlgorithm
    }
}

/// The answer of `verify` and `verifyMac`: whether the signature or tag is valid, and
/// the key that checked it.
public struct VerificationResult: Sendable {
    public let isValid: Bool
    public let keyID: KeyID
}

/// The public half of an asymmetric key, with what it is for.
public struct PublicKeyResult: Sendable {
    /// DER SubjectPublicKeyInfo.
    public let subjectPublicKeyInfo: [UInt8]
    public let metadata: KeyMetadata
    public let keyVersion: KeyVersion
}

extension KeyManagementService {
    /// Signs a message or digest with the private key of a SIGN_VERIFY key (`kms:Sign`).
    ///
    /// - Throws: `.validation` for an empty or oversized message or a digest of the wrong
    ///   length; `.invalidKeyUsage` when the key is not SIGN_VERIFY or the algorithm is not
    ///   one of its spec's; `.keyNotFound`, `.accessDenied`, `.keyDisabled`,
    ///   `.keyPendingDeletion`, `.keyDestroyed`.
    public func sign(_ request: SignRequest, context: RequestContext) async throws(KMSError) -> SignResult {
        try Validation.signingMessage(request.message)
        let (key, alias) = try await loadKey(named: request.keyID)
        try authorize(.sign, on: key, via: alias, context: context)
        let (privateKey, version) = try await signingKey(of: key, audit: context.audit)
        let signature = try privateKey.sign(request.message, algorithm: request.signingAlgorithm)
        return SignResult(signature: signature, keyID: key.id, keyVersion: version, signingAlgorithm: request.signingAlgorithm)
    }

    /// Checks a signature made with a SIGN_VERIFY key (`kms:Verify`). A signature that does
    /// not verify, malformed ones included, is `false`, not an error.
    ///
    /// - Throws: the errors of `sign`; `.validation` for an empty signature,
    ///   `.limitExceeded` for one over 6144 bytes.
    public func verify(_ request: VerifyRequest, context: RequestContext) async throws(KMSError) -> VerificationResult {
        try Validation.signingMessage(request.message)
        try Validation.signature(request.signature)
        let (key, alias) = try await loadKey(named: request.keyID)
        try authorize(.verify, on: key, via: alias, context: context)
        let (privateKey, _) = try await signingKey(of: key, audit: context.audit)
        let valid = try privateKey.publicKey.isValidSignature(request.signature, for: request.message, algorithm: request.signingAlgorithm)
        return VerificationResult(isValid: valid, keyID: key.id)
    }

    /// The public key of an ECC, Ed25519 or RSA key (`kms:GetPublicKey`), for verifying
    /// signatures or encrypting offline.
    ///
    /// - Throws: `.unsupportedOperation` for SYMMETRIC_DEFAULT and HMAC keys;
    ///   `.keyNotFound`, `.accessDenied`, `.keyDisabled`, `.keyPendingDeletion`, `.keyDestroyed`.
    public func getPublicKey(keyID raw: String, context: RequestContext) async throws(KMSError) -> PublicKeyResult {
        let (key, alias) = try await loadKey(named: raw)
        try authorize(.getPublicKey, on: key, via: alias, context: context)
        guard key.metadata.keySpec.isAsymmetric else {
            throw KMSError(.unsupportedOperation, "key \(key.id) is a \(key.metadata.keySpec.rawValue) key and has no public key")
        }
        try key.requireUsable(for: key.metadata.keyUsage)
        let version = key.metadata.currentVersion
        context.audit.noteVersion(version, of: key.id)
        let privateKey = try await material(of: key, version: version).privateKey()
        return PublicKeyResult(subjectPublicKeyInfo: privateKey.publicKey.subjectPublicKeyInfo, metadata: key.metadata, keyVersion: version)
    }

    /// The private key of the current version of a usable SIGN_VERIFY key, noted for the audit.
    private func signingKey(of key: CachedKey, audit: AuditFacts) async throws(KMSError) -> (AsymmetricPrivateKey, KeyVersion) {
        try key.requireUsable(for: .signVerify)
        let version = key.metadata.currentVersion
        audit.noteVersion(version, of: key.id)
        return (try await material(of: key, version: version).privateKey(), version)
    }
}
