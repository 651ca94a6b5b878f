import KMSCore
import KMSCrypto

/// Checks of request fields against `Limits`, shared by the operations.
enum Validation {
    static func description(_ text: String) throws(KMSError) {
        guard text.count <= Limits.maxDescriptionCharacters else {
            throw KMSError(.limitExceeded, "description has \(text.count) characters; at most \(Limits.maxDescriptionCharacters) are allowed")
        }
    }

    static func tags(_ tags: [String: String]) throws(KMSError) {
        guard tags.count <= Limits.maxTags else {
            throw KMSError(.limitExceeded, "tags has \(tags.count) entries; at most \(Limits.maxTags) are allowed")
        }
        for (key, value) in tags {
            try tagKey(key, field: "tags")
            guard value.count <= Limits.maxTagValueCharacters else {
                throw KMSError(.validation, "tags: the value of tag '\(key)' has more than \(Limits.maxTagValueCharacters) characters")
            }
        }
    }

    /// Tag keys to remove: at least one, each 1 to 128 characters.
    static func tagKeys(_ keys: [String]) throws(KMSError) {
        guard !keys.isEmpty else { throw KMSError(.validation, "tag_keys must name at least one tag key") }
        for key in keys { try tagKey(key, field: "tag_keys") }
    }

    private static func tagKey(_ key: String, field: String) throws(KMSError) {
        guard (1...Limits.maxTagKeyCharacters).contains(key.count) else {
            throw KMSError(.validation, "\(field): a tag key must have 1 to \(Limits.maxTagKeyCharacters) characters")
        }
        guard !key.hasPrefix(KeyManagementService.reservedTagKeyPrefix) else {
            throw KMSError(.validation, "\(field): tag keys beginning with '\(KeyManagementService.reservedTagKeyPrefix)' are reserved")
        }
    }

    /// A plaintext for Encrypt: 1 to 4096 bytes.
    static func plaintext(_ count: Int) throws(KMSError) {
        try byteCount(count, field: "plaintext", limit: Limits.maxPlaintextBytes)
    }

    /// Checks the message of Sign and Verify: 1–4096 bytes (a DIGEST's exact length is
    /// checked against the algorithm later).
    ///
    /// - Throws: `.validation` when empty; `.limitExceeded` when longer.
    static func signingMessage(_ message: SigningInput) throws(KMSError) {
        try byteCount(message.bytes.count, field: "message", limit: Limits.maxMessageBytes)
    }

    /// Checks the message of GenerateMac and VerifyMac: 1–4096 bytes.
    ///
    /// - Throws: `.validation` when empty; `.limitExceeded` when longer.
    static func macMessage(_ message: [UInt8]) throws(KMSError) {
        try byteCount(message.count, field: "message", limit: Limits.maxMessageBytes)
    }

    /// Checks the signature of Verify: 1–6144 bytes.
    ///
    /// - Throws: `.validation` when empty; `.limitExceeded` when longer.
    static func signature(_ signature: [UInt8]) throws(KMSError) {
        try byteCount(signature.count, field: "signature", limit: Limits.maxSignatureBytes)
    }

    private static func byteCount(_ count: Int, field: String, limit: Int) throws(KMSError) {
        guard count > 0 else { throw KMSError(.validation, "\(field) must not be empty") }
        guard count <= limit else {
            throw KMSError(.limitExceeded, "\(field) is \(count) bytes; at most \(limit) are allowed")
        }
    }

    /// A `number_of_bytes` field: 1 to 1024.
    static func numberOfBytes(_ count: Int, field: String = "number_of_bytes") throws(KMSError) {
        guard Limits.dataKeyBytes.contains(count) else {
            throw KMSError(.validation, "\(field) must be between \(Limits.dataKeyBytes.lowerBound) and \(Limits.dataKeyBytes.upperBound)")
        }
    }
}

extension Validation {
    /// A number of days where 0 means the default: `pending_window_in_days`,
    /// `rotation_period_in_days`.
    ///
    /// - Returns: `defaultDays` for 0, else `days`.
    /// - Throws: `.validation` naming `field` when `days` is neither 0 nor in `allowed`.
    static func days(_ days: Int, field: String, allowed: ClosedRange<Int>, defaultDays: Int) throws(KMSError) -> Int {
        if days == 0 { return defaultDays }
        guard allowed.contains(days) else {
            throw KMSError(.validation, "\(field) must be between \(allowed.lowerBound) and \(allowed.upperBound) (or 0 for \(defaultDays))")
        }
        return days
    }
}
