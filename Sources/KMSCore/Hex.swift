/// Hexadecimal digits for the parsers and writers that handle hex byte by byte (key ids,
/// percent-encoding, JSON `\u` escapes, audit hashes), so each does not carry its own table.
public enum Hex {
    /// The lower-case digits `0`–`9`, `a`–`f` as UTF-8, indexed by value.
    public static let lowercaseDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// The value of one hexadecimal digit in either case; `nil` for any other byte.
    public static func value(of digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// `bytes` as lower-case hex, two digits per byte.
    public static func lowercase(_ bytes: some Sequence<UInt8>) -> String {
        let bytes = Array(bytes)
        return String(unsafeUninitializedCapacity: bytes.count * 2) { text in
            var offset = 0
            for byte in bytes {
                text[offset] = lowercaseDigits[Int(byte >> 4)]
                text[offset + 1] = lowercaseDigits[Int(byte & 0x0F)]
                offset += 2
            }
            return offset
        }
    }
}
