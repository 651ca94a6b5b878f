/// The kind of key material a key holds.
public enum KeySpec: String, Sendable, CaseIterable, Codable {
    /// A 256-bit AES-GCM key; each message is sealed under a key derived with HKDF.
    case symmetricDefault = "SYMMETRIC_DEFAULT"
}

/// What a key may be used for; fixed when the key is created.
public enum KeyUsage: String, Sendable, CaseIterable, Codable {
    case encryptDecrypt = "ENCRYPT_DECRYPT"
    case signVerify = "SIGN_VERIFY"
    case generateVerifyMAC = "GENERATE_VERIFY_MAC"
}

/// The lifecycle state of a key.
public enum KeyState: String, Sendable, CaseIterable, Codable {
    case enabled = "ENABLED"
    case disabled = "DISABLED"
    case pendingDeletion = "PENDING_DELETION"
}

/// A key's version number. Versions start at 1 and only grow.
public typealias KeyVersion = UInt32
