import KMSCore

/// A key as stored: its metadata, its policy document and its tags. Holds no key material.
public struct StoredKey: Sendable, Equatable {
    /// Everything the server tells about the key.
    public var metadata: KeyMetadata
    /// The key policy, a JSON document kept as text exactly as given.
    public var policy: String
    /// The key's tags: tag key to tag value.
    public var tags: [String: String]

    /// Creates a stored key.
    public init(metadata: KeyMetadata, policy: String, tags: [String: String] = [:]) {
        self.metadata = metadata
        self.policy = policy
        self.tags = tags
    }
}
