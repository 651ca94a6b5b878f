import KMSCore
import KMSCrypto

/// The input of `reEncrypt`.
public struct ReEncryptRequest: Sendable {
    public var ciphertextBlob: [UInt8]
    public var sourceEncryptionContext: [String: String]
    /// Optional (empty); when given (a key id or `alias/NAME`) it must name the key that
    /// made the blob.
    public var sourceKeyID: String
    /// A key id or `alias/NAME`.
    public var destinationKeyID: String
    public var destinationEncryptionContext: [String: String]

    public init(
        ciphertextBlob: [UInt8],
        sourceEncryptionContext: [String: String] = [:],
        sourceKeyID: String = "",
        destinationKeyID: String,
        destinationEncryptionContext: [String: String] = [:]
    ) {
        self.ciphertextBlob = ciphertextBlob
        self.sourceEncryptionContext = sourceEncryptionContext
        self.sourceKeyID = sourceKeyID
        self.destinationKeyID = destinationKeyID
        self.destinationEncryptionContext = destinationEncryptionContext
    }
}

/// A blob moved from one key (version) to another.
public struct ReEncryptResult: Sendable {
    public let ciphertextBlob: [UInt8]
    public let sourceKeyID: KeyID
    public let sourceKeyVersion: KeyVersion
    public let keyID: KeyID
    public let keyVersion: KeyVersion
}

extension KeyManagementService {
    /// Decrypts a blob and encrypts its plaintext under the current version of the
    /// destination key (which may be the same key). The plaintext never leaves the server.
    ///
    /// Needs `kms:ReEncryptFrom` on the source key and `kms:ReEncryptTo` on the destination.
    /// - Throws: the errors of `decrypt` for the source and of `encrypt` for the destination.
    public func reEncrypt(_ request: ReEncryptRequest, context: RequestContext) async throws(KMSError) -> ReEncryptResult {
        let sourceContext = try EncryptionContext(request.sourceEncryptionContext, field: "source_encryption_context")
        let destinationContext = try EncryptionContext(request.destinationEncryptionContext, field: "destination_encryption_context")
        let expectedSource = try await resolveOptionalKey(request.sourceKeyID, field: "source_key_id")
        let (destination, destinationAlias) = try await loadKey(named: request.destinationKeyID, field: "destination_key_id")
        try authorize(.reEncryptTo, on: destination, via: destinationAlias, context: context, encryptionContext: destinationContext)
        let opened = try await open(
            request.ciphertextBlob,
            expectedKey: expectedSource,
            encryptionContext: sourceContext,
            action: .reEncryptFrom,
            context: context
        )
        let sealed = try await seal(opened.plaintext, under: destination, encryptionContext: destinationContext, audit: context.audit)
        return ReEncryptResult(
            ciphertextBlob: sealed.ciphertextBlob,
            sourceKeyID: opened.keyID,
            sourceKeyVersion: opened.keyVersion,
            keyID: sealed.keyID,
            keyVersion: sealed.keyVersion
        )
    }
}
