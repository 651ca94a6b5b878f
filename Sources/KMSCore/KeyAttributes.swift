import Foundation

/// The kind of key material a key holds.
public enum KeySpec: String, Sendable, CaseIterable, Codable {
    /// A 256-bit AES-GCM key; each message is sealed under its own derived key (docs/CIPHERTEXT.md).
    case symmetricDefault = "SYMMETRIC_DEFAULT"
    /// ECDSA on NIST P-256 with SHA-256.
    case eccNistP256 = "ECC_NIST_P256"
    /// ECDSA on NIST P-384 with SHA-384.
    case eccNistP384 = "ECC_NIST_P384"
    /// ECDSA on NIST P-521 with SHA-512.
    case eccNistP521 = "ECC_NIST_P521"
    /// Pure Ed25519.
    case ed25519 = "ED25519"
    /// RSA keys for signing (PSS, PKCS#1 v1.5) or encryption (OAEP).
    case rsa2048 = "RSA_2048"
    case rsa3072 = "RSA_3072"
    case rsa4096 = "RSA_4096"
    /// HMAC keys of 32, 48 and 64 bytes.
    case hmac256 = "HMAC_256"
    case hmac384 = "HMAC_384"
    case hmac512 = "HMAC_512"
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
    /// Every version's material was destroyed; only the metadata remains.
    case destroyed = "DESTROYED"
}

/// How a key version came to be.
public enum RotationType: String, Sendable, CaseIterable, Codable {
    /// Version 1, made with the key.
    case creation = "CREATION"
    /// Made by the background job when the rotation period passed.
    case automatic = "AUTOMATIC"
    /// Made by RotateKeyOnDemand.
    case onDemand = "ON_DEMAND"
}

/// Automatic rotation settings of a key.
public struct RotationSchedule: Sendable, Equatable {
    /// Days between rotations, 90–2560.
    public var periodInDays: Int
    /// When the background job next rotates the key.
    public var nextRotationDate: Date

    public init(periodInDays: Int, nextRotationDate: Date) {
        self.periodInDays = periodInDays
        self.nextRotationDate = nextRotationDate
    }
}

/// A key's version number. Versions start at 1 and only grow.
public typealias KeyVersion = UInt32
