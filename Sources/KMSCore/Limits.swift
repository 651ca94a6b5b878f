/// Every size and count limit of the public API, in one place.
public enum Limits {
    /// Largest plaintext that Encrypt accepts, in bytes.
    public static let maxPlaintextBytes = 4096
    /// Most pairs in an encryption context.
    public static let maxEncryptionContextPairs = 64
    /// Largest encryption context, counting the UTF-8 bytes of every key and value.
    public static let maxEncryptionContextBytes = 8 * 1024
    /// Longest key description, in characters.
    public static let maxDescriptionCharacters = 8192
    /// Largest policy document, in bytes.
    public static let maxPolicyBytes = 32 * 1024
    /// Most tags on a key.
    public static let maxTags = 50
    /// Longest tag key, in characters (as AWS KMS).
    public static let maxTagKeyCharacters = 128
    /// Longest tag value, in characters (as AWS KMS).
    public static let maxTagValueCharacters = 256
    /// Largest request message of a single-item RPC, in bytes.
    public static let maxRequestBytes = 64 * 1024
    /// Largest message the server reads at all; a larger one is answered RESOURCE_EXHAUSTED
    /// (`LIMIT_EXCEEDED`) from its 5-byte prefix, before it is buffered. Above
    /// `maxRequestBytes` to leave room for batch requests.
    public static let maxTransportMessageBytes = 1024 * 1024 + 64 * 1024
    /// The largest batch request message (BatchEncrypt, BatchDecrypt, BatchGenerateDataKey).
    public static let maxBatchRequestBytes = 1024 * 1024
    /// The number of items a batch call may hold.
    public static let batchItems = 1...1000
    /// Range of `number_of_bytes` for GenerateDataKey and GenerateRandom.
    public static let dataKeyBytes = 1...1024
    /// Range of `page_size` for list calls; 0 means `defaultPageSize`.
    public static let pageSize = 1...1000
    /// Page size used when a request gives none.
    public static let defaultPageSize = 100
    /// Waiting period of ScheduleKeyDeletion, in days; 0 in a request means `defaultPendingWindowDays`.
    public static let pendingWindowDays = 7...30
    public static let defaultPendingWindowDays = 30
    /// Automatic rotation period, in days; 0 in a request means `defaultRotationPeriodDays`.
    public static let rotationPeriodDays = 90...2560
    public static let defaultRotationPeriodDays = 365
    /// Most grants on one key (as AWS KMS).
    public static let maxGrantsPerKey = 50_000
    /// Longest grant name, in characters.
    public static let maxGrantNameCharacters = 256
    /// Longest alias name, `alias/` included, in characters.
    public static let maxAliasNameCharacters = 256
    /// Largest ciphertext blob Decrypt accepts, in bytes.
    public static let maxCiphertextBytes = 6144
    /// Largest RAW message for Sign, Verify, GenerateMac and VerifyMac, in bytes (as AWS KMS).
    public static let maxMessageBytes = 4096
    /// Largest signature Verify takes, in bytes (as AWS KMS).
    public static let maxSignatureBytes = 6144
}
