import Foundation

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
