import Foundation
import KMSCore
import KMSCrypto
import KMSPolicy
import KMSStorage

/// The input of `createKey`.
public struct CreateKeyRequest: Sendable {
    public var description: String
    /// `nil` means `.symmetricDefault`.
    public var keySpec: KeySpec?
    /// `nil` means the spec's default usage (see `KeySpec.defaultUsage`).
    public var keyUsage: KeyUsage?
    /// A JSON policy document; empty means the default policy (creator gets `kms:*`).
    public var policy: String
    public var tags: [String: String]

    public init(description: String = "", keySpec: KeySpec? = nil, keyUsage: KeyUsage? = nil, policy: String = "", tags: [String: String] = [:]) {
        self.description = description
        self.keySpec = keySpec
        self.keyUsage = keyUsage
        self.policy = policy
        self.tags = tags
    }
}

extension KeyManagementService {
    /// Creates a key with fresh material (version 1), wrapped under the root key.
    ///
    /// Decided by the server policy (`kms:CreateKey`).
    /// - Throws: `.validation`, `.limitExceeded`, `.malformedPolicy`, `.accessDenied`.
    public func createKey(_ request: CreateKeyRequest, context: RequestContext) async throws(KMSError) -> KeyMetadata {
        let spec = request.keySpec ?? .symmetricDefault
        let usage = request.keyUsage ?? spec.defaultUsage
        guard spec.allowedUsages.contains(usage) else {
            let allowed = spec.allowedUsages.map(\.rawValue).joined(separator: " or ")
            throw KMSError(.validation, "key_usage \(usage.rawValue) is not valid for key_spec \(spec.rawValue); use \(allowed)")
        }
        try Validation.description(request.description)
        try Validation.tags(request.tags)
        try authorize(.createKey, on: nil, context: context)

        let policyText = request.policy.isEmpty ? DefaultKeyPolicy.json(creator: context.principal) : request.policy
        let policy = try CompiledPolicy.compile(policyText)

        let keyID = KeyID.random()
        let now = clock().roundedToMicroseconds
        let metadata = KeyMetadata(
            keyID: keyID,
            description: request.description,
            keySpec: spec,
            keyUsage: usage,
            keyState: .enabled,
            creationDate: now,
            currentVersion: 1,
            creator: context.principal
        )
        let material = try await KeyGeneration.material(for: spec)
        let firstVersion = WrappedKeyVersion(
            keyID: keyID,
            version: 1,
            wrappedMaterial: rootKey.wrap(material, keyID: keyID, version: 1),
            creationDate: now
        )
        let stored = StoredKey(metadata: metadata, policy: policyText, tags: request.tags)
        context.audit.noteVersion(1, of: keyID)
        try await commit("create key", context: context) { try await store.createKey(stored, firstVersion: firstVersion) }
        cache.put(CachedKey(stored: stored, policy: policy, materials: [1: material]))
        logger.info("key created", metadata: ["key_id": "\(keyID)", "principal": "\(context.principal)"])
        return metadata
    }
}
