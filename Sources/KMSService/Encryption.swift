import KMSCore
import KMSCrypto

/// The input of `encrypt`.
public struct EncryptRequest: Sendable {
    /// A key id or `alias/NAME`.
    public var keyID: String
    public var plaintext: SecretBytes
    public var encryptionContext: [String: String]
    /// SYMMETRIC_DEFAULT (envelope blob) or RSA-OAEP (raw OAEP output).
    public var encryptionAlgorithm: EncryptionAlgorithm

    public init(
        keyID: String, plaintext: SecretBytes, encryptionContext: [String: String] = [:],
        encryptionAlgorithm: EncryptionAlgorithm = .symmetricDefault
    ) {
        self.keyID = keyID
        self.plaintext = plaintext
        self.encryptionContext = encryptionContext
        self.encryptionAlgorithm = encryptionAlgorithm
    }
}

/// A ciphertext blob and the key version that made it.
public struct EncryptResult: Sendable {
    public let ciphertextBlob: [UInt8]
    public let keyID: KeyID
    public let keyVersion: KeyVersion
    public var encryptionAlgorithm: EncryptionAlgorithm = .symmetricDefault
}

/// The input of `decrypt`.
public struct DecryptRequest: Sendable {
    public var ciphertextBlob: [UInt8]
    public var encryptionContext: [String: String]
    /// Optional (empty) for SYMMETRIC_DEFAULT; when given (a key id or `alias/NAME`) it
    /// must name the key that made the blob. Required for RSA-OAEP.
    public var keyID: String
    /// The algorithm that encrypted: SYMMETRIC_DEFAULT or RSA-OAEP.
    public var encryptionAlgorithm: EncryptionAlgorithm

    public init(
        ciphertextBlob: [UInt8], encryptionContext: [String: String] = [:], keyID: String = "",
        encryptionAlgorithm: EncryptionAlgorithm = .symmetricDefault
    ) {
        self.ciphertextBlob = ciphertextBlob
        self.encryptionContext = encryptionContext
        self.keyID = keyID
        self.encryptionAlgorithm = encryptionAlgorithm
    }
}

/// A plaintext and the key version that protected it.
public struct DecryptResult: Sendable {
    public let plaintext: SecretBytes
    public let keyID: KeyID
    public let keyVersion: KeyVersion
    public var encryptionAlgorithm: EncryptionAlgorithm = .symmetricDefault
}

extension KeyManagementService {
    /// Encrypts up to 4096 bytes under the current version of a key (`kms:Encrypt`): an
    /// envelope blob for SYMMETRIC_DEFAULT, raw RSA-OAEP output for RSA keys.
    ///
    /// - Throws: `.validation`, `.limitExceeded`, `.keyNotFound`, `.accessDenied`,
    ///   `.keyDisabled`, `.keyPendingDeletion`, `.keyDestroyed`, `.invalidKeyUsage`.
    public func encrypt(_ request: EncryptRequest, context: RequestContext) async throws(KMSError) -> EncryptResult {
        try Validation.plaintext(request.plaintext.count)
        let encryptionContext = try EncryptionContext(request.encryptionContext)
        let (key, alias) = try await loadKey(named: request.keyID)
        try authorize(.encrypt, on: key, via: alias, context: context, encryptionContext: encryptionContext)
        if request.encryptionAlgorithm != .symmetricDefault {
            return try await rsaEncrypt(
                request.plaintext, algorithm: request.encryptionAlgorithm, under: key, encryptionContext: encryptionContext, audit: context.audit
            )
        }
        return try await seal(request.plaintext, under: key, encryptionContext: encryptionContext, audit: context.audit)
    }

    /// Decrypts a blob made by `encrypt` or `generateDataKey` (`kms:Decrypt` on the key
    /// named in the blob).
    ///
    /// - Throws: `.invalidCiphertext` for any malformed or altered blob or a different
    ///   encryption context, `.incorrectKey` when `keyID` names another key,
    ///   `.keyVersionDisabled` when the blob's key version is disabled, and the key errors
    ///   of `encrypt`.
    public func decrypt(_ request: DecryptRequest, context: RequestContext) async throws(KMSError) -> DecryptResult {
        let encryptionContext = try EncryptionContext(request.encryptionContext)
        if request.encryptionAlgorithm != .symmetricDefault {
            let ciphertext = RSACiphertext(bytes: request.ciphertextBlob, keyID: request.keyID, field: "key_id", algorithm: request.encryptionAlgorithm)
            return try await rsaDecrypt(ciphertext, encryptionContext: encryptionContext, action: .decrypt, context: context)
        }
        let expectedKey = try await resolveOptionalKey(request.keyID, field: "key_id")
        return try await open(
            request.ciphertextBlob,
            expectedKey: expectedKey,
            encryptionContext: encryptionContext,
            action: .decrypt,
            context: context
        )
    }

    /// Seals a plaintext under the key's current version, noting the version in `audit`.
    /// The caller has authorized.
    func seal(
        _ plaintext: SecretBytes,
        under key: CachedKey,
        encryptionContext: EncryptionContext,
        audit: AuditFacts
    ) async throws(KMSError) -> EncryptResult {
        try key.requireUsable(for: .encryptDecrypt, spec: .symmetricDefault)
        let version = key.metadata.currentVersion
        audit.noteVersion(version, of: key.id)
        let material = try await material(of: key, version: version).symmetricKey()
        let blob = EnvelopeCipher.seal(plaintext, keyID: key.id, version: version, material: material, context: encryptionContext)
        return EncryptResult(ciphertextBlob: blob, keyID: key.id, keyVersion: version)
    }

    /// Opens a blob after checking the key it names, authorization for `action`,
    /// and the key's state. When the request named the key (`expectedKey`), the blob must
    /// have been made with it, and the alias it was named by is the request alias.
    func open(
        _ blob: [UInt8],
        expectedKey: KeyReference?,
        encryptionContext: EncryptionContext,
        action: KMSAction,
        context: RequestContext
    ) async throws(KMSError) -> DecryptResult {
        let header = try CiphertextBlob.parseHeader(blob)
        if let expectedKey, expectedKey.id != header.keyID {
            throw KMSError(.incorrectKey, "the ciphertext was not made with key \(expectedKey.alias ?? expectedKey.id.description)")
        }
        let key: CachedKey
        do {
            key = try await loadKey(header.keyID)
        } catch where error.code == .keyNotFound {
            throw CiphertextBlob.invalid
        }
        try authorize(action, on: key, via: expectedKey?.alias, context: context, encryptionContext: encryptionContext)
        try key.requireUsable(for: .encryptDecrypt, spec: .symmetricDefault)
        guard header.keyVersion >= 1, header.keyVersion <= key.metadata.currentVersion else {
            throw CiphertextBlob.invalid
        }
        context.audit.noteVersion(header.keyVersion, of: key.id)
        let material = try await material(of: key, version: header.keyVersion).symmetricKey()
        let plaintext = try EnvelopeCipher.open(
            blob, keyID: key.id, version: header.keyVersion, material: material, context: encryptionContext
        )
        return DecryptResult(plaintext: plaintext, keyID: key.id, keyVersion: header.keyVersion)
    }
}
