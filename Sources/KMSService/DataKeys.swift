import KMSCore
import KMSCrypto

/// The standard lengths of a data key.
public enum DataKeySpec: Sendable, CaseIterable {
    case aes256
    case aes128

    var byteCount: Int {
        switch self {
        case .aes256: 32
        case .aes128: 16
        }
    }
}

/// The input of `generateDataKey` and `generateDataKeyWithoutPlaintext`.
/// Exactly one of `keySpec` and `numberOfBytes` is given.
public struct GenerateDataKeyRequest: Sendable {
    /// A key id or `alias/NAME`.
    public var keyID: String
    public var keySpec: DataKeySpec?
    /// 1–1024 when given.
    public var numberOfBytes: Int?
    public var encryptionContext: [String: String]

    public init(keyID: String, keySpec: DataKeySpec? = nil, numberOfBytes: Int? = nil, encryptionContext: [String: String] = [:]) {
        self.keyID = keyID
        self.keySpec = keySpec
        self.numberOfBytes = numberOfBytes
        self.encryptionContext = encryptionContext
    }
}

/// A fresh data key: its plaintext (unless asked without) and its encryption under a key.
public struct GenerateDataKeyResult: Sendable {
    /// `nil` for `generateDataKeyWithoutPlaintext`.
    public let plaintext: SecretBytes?
    public let ciphertextBlob: [UInt8]
    public let keyID: KeyID
    public let keyVersion: KeyVersion
}

extension KeyManagementService {
    /// Makes a random data key and encrypts it under the key's current version
    /// (`kms:GenerateDataKey`). Callers encrypt locally with the plaintext, discard it,
    /// and store the blob; `decrypt` turns the blob back into the data key.
    ///
    /// - Throws: `.validation` unless exactly one of key spec and byte count (1–1024)
    ///   is given, and the key errors of `encrypt`.
    public func generateDataKey(_ request: GenerateDataKeyRequest, context: RequestContext) async throws(KMSError) -> GenerateDataKeyResult {
        try await makeDataKey(request, action: .generateDataKey, context: context, returnPlaintext: true)
    }

    /// Like `generateDataKey`, without returning the plaintext
    /// (`kms:GenerateDataKeyWithoutPlaintext`).
    public func generateDataKeyWithoutPlaintext(_ request: GenerateDataKeyRequest, context: RequestContext) async throws(KMSError) -> GenerateDataKeyResult {
        try await makeDataKey(request, action: .generateDataKeyWithoutPlaintext, context: context, returnPlaintext: false)
    }

    private func makeDataKey(
        _ request: GenerateDataKeyRequest,
        action: KMSAction,
        context: RequestContext,
        returnPlaintext: Bool
    ) async throws(KMSError) -> GenerateDataKeyResult {
        let byteCount: Int
        switch (request.keySpec, request.numberOfBytes) {
        case (let spec?, nil): byteCount = spec.byteCount
        case (nil, let count?):
            try Validation.numberOfBytes(count)
            byteCount = count
        case (nil, nil): throw KMSError(.validation, "one of key_spec and number_of_bytes is required")
        case (_?, _?): throw KMSError(.validation, "give key_spec or number_of_bytes, not both")
        }
        let encryptionContext = try EncryptionContext(request.encryptionContext)
        let (key, alias) = try await loadKey(named: request.keyID)
        try authorize(action, on: key, via: alias, context: context, encryptionContext: encryptionContext)
        let dataKey = SecretBytes.random(count: byteCount)
        let sealed = try await seal(dataKey, under: key, encryptionContext: encryptionContext, audit: context.audit)
        return GenerateDataKeyResult(
            plaintext: returnPlaintext ? dataKey : nil,
            ciphertextBlob: sealed.ciphertextBlob,
            keyID: sealed.keyID,
            keyVersion: sealed.keyVersion
        )
    }

    /// Random bytes from the system's cryptographic source (`kms:GenerateRandom`,
    /// server policy).
    ///
    /// - Throws: `.validation` unless 1–1024 bytes are asked for; `.accessDenied`.
    public func generateRandom(numberOfBytes: Int, context: RequestContext) async throws(KMSError) -> SecretBytes {
        try Validation.numberOfBytes(numberOfBytes)
        try authorize(.generateRandom, on: nil, context: context)
        return SecretBytes.random(count: numberOfBytes)
    }
}
