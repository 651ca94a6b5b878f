/// An IPv4 or IPv6 address, parsed strictly from text.
struct IPAddress: Sendable, Equatable {
    enum Family: Sendable { case v4, v6 }

    let family: Family
    /// The address bits; an IPv4 address uses the low 32.
    let bits: UInt128

    /// Parses dotted-quad IPv4 (no leading zeros) or RFC 4291 IPv6 text (with `::` and an
    /// optional dotted-quad tail); `nil` for anything else.
    init?(_ text: Substring) {
        if text.utf8.contains(UInt8(ascii: ":")) {
            guard let bits = Self.parseIPv6(text) else { return nil }
            self.init(family: .v6, bits: bits)
        } else {
            guard let bits = Self.parseIPv4(text) else { return nil }
            self.init(family: .v4, bits: UInt128(bits))
        }
    }

    /// Parses a caller's address: an IPv6 zone (`%eth0`) is dropped and an IPv4-mapped IPv6
    /// address (`::ffff:192.0.2.1`) becomes the IPv4 address, so IPv4 blocks match it.
    init?(requestText text: String) {
        let withoutZone = text.firstIndex(of: "%").map { text[..<$0] } ?? text[...]
        guard let address = IPAddress(withoutZone) else { return nil }
        if address.family == .v6, address.bits >> 32 == 0xFFFF {
            self.init(family: .v4, bits: address.bits & 0xFFFF_FFFF)
        } else {
            self = address
        }
    }

    private init(family: Family, bits: UInt128) {
        self.family = family
        self.bits = bits
    }

    /// The address as an IPv6 address (IPv4 addresses in their mapped form).
    var asIPv6Bits: UInt128 {
        family == .v6 ? bits : 0xFFFF << 32 | bits
    }

    /// Reads dotted-quad text byte by byte (this runs for every authorized request).
    private static func parseIPv4(_ text: Substring) -> UInt32? {
        var value: UInt32 = 0
        var octet: UInt32 = 0
        var digits = 0
        var dots = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, dots < 3 else { return nil }
                value = value << 8 | octet
                dots += 1
                octet = 0
                digits = 0
            } else if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                // No leading zeros: a part starting with 0 is exactly "0".
                guard !(digits == 1 && octet == 0) else { return nil }
                octet = octet * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                guard octet <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, dots == 3 else { return nil }
        return value << 8 | octet
    }

    private static func parseIPv6(_ text: Substring) -> UInt128? {
        let halves = text.split(separator: "::", maxSplits: 1, omittingEmptySubsequences: false)
        guard halves.count <= 2, !(halves.count == 2 && halves[1].contains("::")) else { return nil }
        guard let head = parseGroups(halves[0], allowIPv4Tail: halves.count == 1) else { return nil }
        let tail = halves.count == 2 ? parseGroups(halves[1], allowIPv4Tail: true) : []
        guard let tail else { return nil }
        let compressed = halves.count == 2
        guard compressed ? head.count + tail.count <= 7 : head.count == 8 else { return nil }
        var bits: UInt128 = 0
        for group in head { bits = bits << 16 | UInt128(group) }
        bits <<= 16 * (8 - head.count)
        var tailBits: UInt128 = 0
        for group in tail { tailBits = tailBits << 16 | UInt128(group) }
        return bits | tailBits
    }

    /// The 16-bit groups of one side of `::`; a final dotted quad counts as two groups.
    private static func parseGroups(_ text: Substring, allowIPv4Tail: Bool) -> [UInt16]? {
        guard !text.isEmpty else { return [] }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        var groups: [UInt16] = []
        for (position, part) in parts.enumerated() {
            if allowIPv4Tail, position == parts.count - 1, part.contains(".") {
                guard let v4 = parseIPv4(part) else { return nil }
                groups.append(UInt16(v4 >> 16))
                groups.append(UInt16(truncatingIfNeeded: v4))
            } else {
                guard (1...4).contains(part.count), part.allSatisfy(\.isHexDigit), let group = UInt16(part, radix: 16)
                else { return nil }
                groups.append(group)
            }
        }
        return groups
    }
}

/// An address block in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`); a bare address is a
/// block of one.
struct CIDRBlock: Sendable {
    private let family: IPAddress.Family
    private let network: UInt128
    private let mask: UInt128

    /// Parses `text`.
    ///
    /// - Throws: `PolicyTextError` when `text` is not an address with an optional prefix
    ///   length, or when bits beyond the prefix are set (`10.1.0.0/8`), which is nearly
    ///   always a typo for a narrower block.
    init(_ text: String) throws(PolicyTextError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else {
            throw PolicyTextError("\(quoted(text)) is not an IPv4 or IPv6 address or CIDR block")
        }
        let width = address.family == .v4 ? 32 : 128
        var prefixLength = width
        if parts.count == 2 {
            guard parts[1].allSatisfy(\.isASCIIDigit), parts[1].count <= 3, let length = Int(parts[1]),
                length <= width
            else {
                throw PolicyTextError("\(quoted(text)): prefix length must be 0 to \(width)")
            }
            prefixLength = length
        }
        let all: UInt128 = address.family == .v4 ? 0xFFFF_FFFF : .max
        let mask = ~(all >> prefixLength) & all
        guard address.bits & ~mask == 0 else {
            throw PolicyTextError("\(quoted(text)) has bits set beyond the /\(prefixLength) prefix")
        }
        family = address.family
        network = address.bits
        self.mask = mask
    }

    /// Whether `address` is in the block. An IPv6 block also matches IPv4 addresses through
    /// their mapped form (`::ffff:0:0/96` holds every IPv4 address).
    func contains(_ address: IPAddress) -> Bool {
        switch (family, address.family) {
        case (.v4, .v4), (.v6, .v6): address.bits & mask == network
        case (.v6, .v4): address.asIPv6Bits & mask == network
        case (.v4, .v6): false
        }
    }
}

extension Character {
    /// Whether the character is one of the ASCII digits 0-9.
    var isASCIIDigit: Bool { isASCII && isWholeNumber }
}
