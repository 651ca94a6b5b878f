/// Non-secret key/value pairs bound to a ciphertext: Decrypt succeeds only when it is
/// given the same pairs that Encrypt was. Pairs are authenticated, never encrypted.
public struct EncryptionContext: Sendable, Equatable {
    /// The pairs, in no particular order.
    public let pairs: [String: String]

    /// The empty context.
    public static let empty = EncryptionContext(validated: [:])

    /// Checks the pairs against the API's limits.
    ///
    /// - Throws: `KMSError` `.validation` for an empty key or value, `.limitExceeded`
    ///   for more than 64 pairs or more than 8 KiB in all. `field` names the request field.
    public init(_ pairs: [String: String], field: String = "encryption_context") throws(KMSError) {
        guard pairs.count <= Limits.maxEncryptionContextPairs else {
            throw KMSError(.limitExceeded, "\(field) has \(pairs.count) pairs; at most \(Limits.maxEncryptionContextPairs) are allowed")
        }
        var total = 0
        for (key, value) in pairs {
            guard !key.isEmpty else { throw KMSError(.validation, "\(field) has an empty key") }
            guard !value.isEmpty else { throw KMSError(.validation, "\(field) has an empty value for key '\(key)'") }
            total += key.utf8.count + value.utf8.count
        }
        guard total <= Limits.maxEncryptionContextBytes else {
            throw KMSError(.limitExceeded, "\(field) is \(total) bytes; at most \(Limits.maxEncryptionContextBytes) are allowed")
        }
        self.pairs = pairs
    }

    private init(validated pairs: [String: String]) {
        self.pairs = pairs
    }

    /// The context's keys, sorted.
    public var sortedKeys: [String] { pairs.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) } }

    /// The canonical byte encoding that ciphertexts authenticate: a big-endian UInt16 pair
    /// count, then for each pair in ascending UTF-8 byte order of its key, the key and the
    /// value each as a big-endian UInt16 length followed by its UTF-8 bytes.
    /// Two equal contexts always encode to the same bytes; different ones never do.
    public var canonicalEncoding: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(2 + pairs.count * 8)
        appendUInt16(pairs.count, to: &out)
        for key in sortedKeys {
            let value = pairs[key]!
            appendUInt16(key.utf8.count, to: &out)
            out.append(contentsOf: key.utf8)
            appendUInt16(value.utf8.count, to: &out)
            out.append(contentsOf: value.utf8)
        }
        return out
    }

    /// Reads a canonical encoding back; `nil` when the bytes are not one.
    public init?(canonicalEncoding bytes: some Collection<UInt8>) {
        var reader = Array(bytes)[...]
        func readUInt16() -> Int? {
            guard reader.count >= 2 else { return nil }
            let value = Int(reader[reader.startIndex]) << 8 | Int(reader[reader.startIndex + 1])
            reader = reader.dropFirst(2)
            return value
        }
        func readString() -> String? {
            guard let length = readUInt16(), reader.count >= length else { return nil }
            let text = String(validating: reader.prefix(length), as: UTF8.self)
            reader = reader.dropFirst(length)
            return text
        }
        guard let count = readUInt16() else { return nil }
        var pairs: [String: String] = [:]
        for _ in 0..<count {
            guard let key = readString(), let value = readString(), pairs[key] == nil else { return nil }
            pairs[key] = value
        }
        guard reader.isEmpty, let context = try? EncryptionContext(pairs) else { return nil }
        guard context.canonicalEncoding.elementsEqual(bytes) else { return nil }
        self = context
    }

    private func appendUInt16(_ value: Int, to out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: value >> 8))
        out.append(UInt8(truncatingIfNeeded: value))
    }
}
