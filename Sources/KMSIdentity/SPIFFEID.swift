/// A SPIFFE ID that follows the SPIFFE ID standard
/// (<https://github.com/spiffe/spiffe/blob/main/standards/SPIFFE-ID.md>):
/// `spiffe://<trust domain><path>`, e.g. `spiffe://prod.example/ns/payments/sa/api`.
///
/// The check reads the UTF-8 bytes itself rather than trusting a general URI parser, which
/// would accept much that is not a SPIFFE ID:
/// - the scheme is `spiffe`, in lower case, followed by `://`;
/// - the trust domain is 1–255 bytes of `a-z`, `0-9`, `.`, `-` and `_`: no upper case, no
///   port (`:`), no user info (`@`);
/// - the path is empty, or `/`-separated segments that are each non-empty, neither `.` nor
///   `..`, and made of `a-z`, `A-Z`, `0-9`, `.`, `-` and `_`: no trailing `/`, no `//`;
/// - there is no query (`?`), no fragment (`#`) and no percent-encoding (`%`), and every
///   character is ASCII;
/// - the whole ID is at most 2048 bytes.
public struct SPIFFEID: Sendable, Hashable, CustomStringConvertible {
    /// The longest SPIFFE ID, in bytes, scheme included.
    public static let maximumLength = 2048
    /// The longest trust domain, in bytes (the longest URI host RFC 3986 allows).
    public static let maximumTrustDomainLength = 255

    /// The trust domain, e.g. `prod.example`.
    public let trustDomain: String
    /// The path: empty, or `/` followed by the segments, e.g. `/ns/payments/sa/api`.
    public let path: String

    /// The whole ID: `spiffe://` + `trustDomain` + `path`.
    public var description: String { "spiffe://\(trustDomain)\(path)" }

    /// Checks `text` against the SPIFFE ID rules and splits it into its parts.
    ///
    /// - Throws: `InvalidIdentity` whose `reason` quotes the text and names the first rule
    ///   it breaks; its `certificateSubject` is empty.
    public init(parsing text: String) throws(InvalidIdentity) {
        switch Self.parse(text) {
        case .valid(let id):
            self = id
        case .invalid(let problem):
            throw InvalidIdentity(reason: "\(MessageText.quoted(text)) is not a valid SPIFFE ID: \(problem)")
        }
    }

    private init(trustDomain: String, path: String) {
        self.trustDomain = trustDomain
        self.path = path
    }

    /// The outcome of `parse(_:)`.
    enum Parsed {
        /// The text is a SPIFFE ID.
        case valid(SPIFFEID)
        /// The text breaks a rule; the message names it (`the trust domain has a port (':')`).
        case invalid(String)
    }

    /// Whether `uri`'s scheme is `spiffe` in any case (`spiffe:`, `SPIFFE:`, `Spiffe:`): a
    /// URI that claims to be a SPIFFE ID, valid or not.
    static func hasSPIFFEScheme(_ uri: String) -> Bool {
        let scheme = Array("spiffe:".utf8)
        var index = 0
        for byte in uri.utf8 {
            guard index < scheme.count else { return true }
            guard asciiLowercased(byte) == scheme[index] else { return false }
            index += 1
        }
        return index == scheme.count
    }

    /// Checks `text` against every rule, scanning its UTF-8 bytes once.
    static func parse(_ text: String) -> Parsed {
        let bytes = Array(text.utf8)
        guard bytes.count <= maximumLength else {
            return .invalid("it is \(bytes.count) bytes long; at most \(maximumLength) are allowed")
        }
        let prefix = Array("spiffe://".utf8)
        guard bytes.starts(with: prefix) else {
            if bytes.count >= prefix.count, bytes.prefix(prefix.count).map({ asciiLowercased($0) }).elementsEqual(prefix) {
                return .invalid("the scheme must be 'spiffe' in lower case")
            }
            return .invalid("it does not start with 'spiffe://'")
        }
        var index = prefix.count
        let domainStart = index
        while index < bytes.count, bytes[index] != slash {
            if let problem = trustDomainProblem(bytes[index]) { return .invalid(problem) }
            index += 1
        }
        let domainEnd = index
        guard domainEnd > domainStart else { return .invalid("the trust domain is empty") }
        guard domainEnd - domainStart <= maximumTrustDomainLength else {
            return .invalid("the trust domain is longer than \(maximumTrustDomainLength) bytes")
        }
        // Here index is at a `/` or at the end; each turn reads one segment after a `/`.
        while index < bytes.count {
            index += 1
            let segmentStart = index
            while index < bytes.count, bytes[index] != slash {
                if let problem = pathProblem(bytes[index]) { return .invalid(problem) }
                index += 1
            }
            let segment = bytes[segmentStart..<index]
            if segment.isEmpty {
                return .invalid(index == bytes.count ? "the path ends with '/'" : "the path has an empty segment ('//')")
            }
            if segment.count <= 2, segment.allSatisfy({ $0 == dot }) {
                return .invalid("the path has a '.' or '..' segment")
            }
        }
        // Every byte is ASCII by now, so these decodings are exact.
        return .valid(SPIFFEID(
            trustDomain: String(decoding: bytes[domainStart..<domainEnd], as: UTF8.self),
            path: String(decoding: bytes[domainEnd...], as: UTF8.self)
        ))
    }

    private static let slash = UInt8(ascii: "/")
    private static let dot = UInt8(ascii: ".")

    /// Why `byte` may not appear in a trust domain; `nil` when it may.
    private static func trustDomainProblem(_ byte: UInt8) -> String? {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"):
            return nil
        case UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return "the trust domain has an upper-case letter; trust domains are lower case"
        case UInt8(ascii: ":"):
            return "the trust domain has a ':' (a port is not allowed)"
        case UInt8(ascii: "@"):
            return "the trust domain has an '@' (user info is not allowed)"
        default:
            return uriProblem(byte)
                ?? "the trust domain has \(describe(byte)), which is not allowed (only a-z, 0-9, '.', '-' and '_' are)"
        }
    }

    /// Why `byte` may not appear in a path segment; `nil` when it may.
    private static func pathProblem(_ byte: UInt8) -> String? {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"):
            return nil
        default:
            return uriProblem(byte)
                ?? "the path has \(describe(byte)), which is not allowed (only a-z, A-Z, 0-9, '.', '-' and '_' are)"
        }
    }

    /// The problem with the bytes that are wrong anywhere in a SPIFFE ID, for a clearer
    /// message than "not allowed"; `nil` for other bytes.
    private static func uriProblem(_ byte: UInt8) -> String? {
        switch byte {
        case UInt8(ascii: "?"): "it has a query ('?')"
        case UInt8(ascii: "#"): "it has a fragment ('#')"
        case UInt8(ascii: "%"): "it has percent-encoding ('%')"
        case 0x80...: "it has a non-ASCII character"
        default: nil
        }
    }

    /// `'c'` for a printable ASCII byte, `byte 0xNN` for any other.
    private static func describe(_ byte: UInt8) -> String {
        guard (0x21...0x7E).contains(byte) else {
            let digits = String(byte, radix: 16, uppercase: true)
            return "byte 0x" + (digits.count == 1 ? "0" + digits : digits)
        }
        return "'\(Character(Unicode.Scalar(byte)))'"
    }

    private static func asciiLowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }
}
