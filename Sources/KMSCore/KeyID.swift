import Foundation

/// The identifier of a customer master key: a random UUID, written in lower case.
public struct KeyID: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The UUID behind the id.
    public let uuid: UUID

    /// Wraps an existing UUID.
    public init(uuid: UUID) {
        self.uuid = uuid
    }

    /// A fresh random key id.
    public static func random() -> KeyID {
        KeyID(uuid: UUID())
    }

    /// Parses a key id written as a UUID string (either case); `nil` for anything else.
    ///
    /// Accepts exactly 32 hexadecimal digits in groups of 8-4-4-4-12 separated by hyphens.
    /// Foundation's `UUID(uuidString:)` reads the groups with `sscanf`, which also takes a
    /// sign or a space inside a group (`-b4e28ba-…` names the id `f54e28ba-…` there), and
    /// costs about a microsecond on the path of every request that names a key; this parser
    /// gives each id one text form up to case, and is what every front door uses.
    public init?(string: String) {
        var text = string
        let bytes: [UInt8]? = text.withUTF8 { utf8 in
            guard utf8.count == 36 else { return nil }
            var bytes = [UInt8](repeating: 0, count: 16)
            var next = 0
            var index = 0
            while index < 36 {
                if index == 8 || index == 13 || index == 18 || index == 23 {
                    guard utf8[index] == UInt8(ascii: "-") else { return nil }
                    index += 1
                    continue
                }
                guard let high = Hex.value(of: utf8[index]), let low = Hex.value(of: utf8[index + 1]) else { return nil }
                bytes[next] = high << 4 | low
                next += 1
                index += 2
            }
            return bytes
        }
        guard let bytes else { return nil }
        self.init(bytes: bytes)
    }

    /// Reads a key id from its 16-byte binary form.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        let b = Array(bytes)
        self.uuid = UUID(uuid: (
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
            b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]
        ))
    }

    /// The canonical text form: lower-case UUID (`1b4e28ba-2fa1-41d2-883f-0016d3cca427`),
    /// written directly rather than through `uuidString`, which formats with `snprintf`.
    public var description: String {
        let digits = Hex.lowercaseDigits
        return withUnsafeBytes(of: uuid.uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { text in
                var offset = 0
                for (index, byte) in bytes.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        text[offset] = UInt8(ascii: "-")
                        offset += 1
                    }
                    text[offset] = digits[Int(byte >> 4)]
                    text[offset + 1] = digits[Int(byte & 0x0F)]
                    offset += 2
                }
                return offset
            }
        }
    }

    /// The 16-byte binary form used inside ciphertext blobs.
    public var bytes: [UInt8] {
        withUnsafeBytes(of: uuid.uuid) { Array($0) }
    }

    public static func < (lhs: KeyID, rhs: KeyID) -> Bool {
        lhs.description < rhs.description
    }
}
