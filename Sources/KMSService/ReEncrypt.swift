import KMSCore
import KMSCrypto

/// The input of `reEncrypt`.
public struct ReEncryptRequest: Sendable {
    public var ciphertextBlob: [UInt8]
    public var sourceEncryptionContext: [String: String]
    /// Optional (empty) for SYMMETRIC_DEFAULT; when given (a key id or `alias/NAME`) it
    /// must name the key that made the blob. Required for RSA-OAEP.
    public var sourceKeyID: String
    /// A key id or `alias/NAME`.
    public var destinationKeyID: String
    public var destinationEncryptionContext: [String: String]
    /// How the blob was made.
    public var sourceEncryptionAlgorithm: EncryptionAlgorithm
    /// How to encrypt under the destination key.
    public var destinationEncryptionAlgorithm: EncryptionAlgorithm

    public init(
        ciphertextBlob: [UInt8],
        sourceEncryptionContext: [String: String] = [:],
        sourceKeyID: String = "",
        destinationKeyID: String,
        destinationEncryptionContext: [String: String] = [:],
        sourceEncryptionAlgorithm: EncryptionAlgorithm = .symmetricDefault,
        destinationEncryptionAlgorithm: EncryptionAlgorithm = .symmetricDefault
    ) {
        self.ciphertextBlob = ciphertextBlob
        self.sourceEncryptionContext = sourceEncryptionContext
        self.sourceKeyID = sourceKeyID
        self.destinationKeyID = destinationKeyID
        self.destinationEncryptionContext = destinationEncryptionContext
        self.sourceEncryptionAlgorithm = sourceEncryptionAlgorithm
        self.destinationEncryptionAlgorithm = destinationEncryptionAlgorithm
    }
}

/// A blob moved from one key (version) to another.
public struct ReEncryptResult: Sendable {
    public let ciphertextBlob: [UInt8]
    public let sourceKeyID: KeyID
    public let sourceKeyVersion: KeyVersion
    public let keyID: KeyID
    public let keyVersion: KeyVersion
    public let sourceEncryptionAlgorithm: EncryptionAlgorithm
    public let destinationEncryptionAlgorithm: EncryptionAlgorithm
}

extension KeyManagementService {
    /// Decrypts a blob and encrypts its plaintext under the current version of the
    /// destination key (which may be the same key). The plaintext never leaves the server.
    /// Either side may be RSA-OAEP, as with `decrypt` and `encrypt`.
    ///
    /// Needs `kms:ReEncryptFrom` on the source key and `kms:ReEncryptTo` on the destination.
    /// - Throws: the errors of `decrypt` for the source and of `encrypt` for the destination.
    public func reEncrypt(_ request: ReEncryptRequest, context: RequestContext) async throws(KMSError) -> ReEncryptResult {
        let sourceContext = try EncryptionContext(request.sourceEncryptionContext, field: "source_encryption_context")
        let destinationContext = try EncryptionContext(request.destinationEncryptionContext, field: "destination_encryption_context")
        let (destination, destinationAlias) = try await loadKey(named: request.destinationKeyID, field: "destination_key_id")
        try authorize(.reEncryptTo, on: destination, via: destinationAlias, context: context, encryptionContext: destinationContext)
        let opened: DecryptResult
        if request.sourceEncryptionAlgorithm == .symmetricDefault {
            opened = try await open(
                request.ciphertextBlob,
                expectedKey: try await resolveOptionalKey(request.sourceKeyID, field: "source_key_id"),
                encryptionContext: sourceContext,
                action: .reEncryptFrom,
                context: context
            )
        } else {
            opened = try await rsaDecrypt(
                RSACiphertext(bytes: request.ciphertextBlob, keyID: request.sourceKeyID, field: "source_key_id", algorithm: request.sourceEncryptionAlgorithm),
                encryptionContext: sourceContext,
                action: .reEncryptFrom,
                context: context
            )
        }
        let sealed: EncryptResult
        if request.destinationEncryptionAlgorithm == .symmetricDefault {
            sealed = try await seal(opened.plaintext, under: destination, encryptionContext: destinationContext, audit: context.audit)
        } else {
            sealed = try await rsaEncrypt(
                opened.plaintext, algorithm: request.destinationEncryptionAlgorithm, under: destination,
                encryptionContext: destinationContext, audit: context.audit
            )
        }
        return ReEncryptResult(
            ciphertextBlob: sealed.ciphertextBlob,
            sourceKeyID: opened.keyID,
            sourceKeyVersion: opened.keyVersion,
            keyID: sealed.keyID,
            keyVersion: sealed.keyVersion,
            sourceEncryptionAlgorithm: opened.encryptionAlgorithm,
            destinationEncryptionAlgorithm: sealed.encryptionAlgorithm
        )
    }
}
