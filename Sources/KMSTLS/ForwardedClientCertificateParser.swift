import KMSCore

/// Reads an x-forwarded-client-cert header value, byte by byte, in one pass.
///
/// The value is valid UTF-8 (it comes from a `String`) and every delimiter is ASCII, so
/// every slice between delimiters is valid UTF-8 too.
struct ForwardedClientCertificateParser {
    private typealias Failure = ForwardedClientCertificateError

    private let bytes: [UInt8]
    private var position = 0

    init(_ value: String) {
        bytes = Array(value.utf8)
    }

    mutating func parse() throws(ForwardedClientCertificateError) -> [ForwardedClientCertificate] {
        let maximumLength = ForwardedClientCertificate.maximumHeaderLength
        guard bytes.count <= maximumLength else {
            throw Failure(
                .tooLarge,
                "the x-forwarded-client-cert header is \(bytes.count) bytes; at most \(maximumLength) are accepted"
            )
        }
        if let index = bytes.firstIndex(where: Self.isControl) {
            throw Failure(
                .syntax,
                "the x-forwarded-client-cert header has a control character (0x\(Self.hex(bytes[index]))) at byte \(index)"
            )
        }
        guard bytes.contains(where: { !Self.isSpace($0) }) else {
            throw Failure(.empty, "the x-forwarded-client-cert header is empty")
        }
        let maximumCount = ForwardedClientCertificate.maximumElementCount
        var elements: [ForwardedClientCertificate] = []
        while true {
            guard elements.count < maximumCount else {
                throw Failure(.tooLarge, "the x-forwarded-client-cert header has more than \(maximumCount) elements")
            }
            elements.append(try parseElement(number: elements.count + 1))
            guard position < bytes.count else { return elements }
            position += 1  // the comma
        }
    }

    /// Reads one element, up to (not including) the comma that ends it or the end of the header.
    private mutating func parseElement(number: Int) throws(ForwardedClientCertificateError) -> ForwardedClientCertificate {
        var element = ForwardedClientCertificate()
        var seenSingleKeys: Set<String> = []
        var recognised = false
        var pairCount = 0
        while true {
            skipSpaces()
            guard position < bytes.count, bytes[position] != Self.comma, bytes[position] != Self.semicolon else {
                throw Failure(.syntax, pairCount == 0 ? "element \(number) is empty" : "element \(number) has an empty pair")
            }
            pairCount += 1
            let keyStart = position
            while position < bytes.count, !Self.endsKey(bytes[position]) {
                position += 1
            }
            let key = String(decoding: bytes[keyStart..<position], as: UTF8.self).lowercased()
            guard position < bytes.count, bytes[position] == Self.equals else {
                throw Failure(.syntax, "element \(number), pair \(pairCount) has no '=' after its key")
            }
            guard !key.isEmpty else {
                throw Failure(.syntax, "element \(number), pair \(pairCount) has an empty key")
            }
            position += 1
            let value = try parseValue(element: number, pair: pairCount)
            switch key {
            case "by", "uri", "dns":
                recognised = true
                let text = String(decoding: value, as: UTF8.self)
                if key == "by" {
                    element.by.append(text)
                } else if !text.isEmpty {
                    // Envoy writes `URI=` for a certificate without a URI SAN.
                    if key == "uri" { element.uris.append(text) } else { element.dnsNames.append(text) }
                }
            case "hash", "cert", "chain", "subject":
                recognised = true
                guard seenSingleKeys.insert(key).inserted else {
                    throw Failure(.duplicateKey, "element \(number) has \(Self.displayName(key)) more than once")
                }
                switch key {
                case "hash":
                    element.hash = String(decoding: value, as: UTF8.self)
                case "subject":
                    element.subject = value.isEmpty ? nil : String(decoding: value, as: UTF8.self)
                case "cert":
                    element.certificatePEM = try Self.percentDecoded(value, what: "element \(number), Cert")
                default:
                    element.chainPEM = try Self.percentDecoded(value, what: "element \(number), Chain")
                }
            default:
                break  // an unknown key: ignored, for keys that later proxies may add
            }
            skipSpaces()
            guard position < bytes.count, bytes[position] == Self.semicolon else { break }
            position += 1
        }
        guard recognised else {
            throw Failure(.noRecognisedKey, "element \(number) has none of By, Hash, Cert, Chain, Subject, URI, DNS")
        }
        return element
    }

    /// Reads a value, quoted or not; on return `position` is at the `;` or `,` after it
    /// (spaces skipped) or at the end.
    private mutating func parseValue(element: Int, pair: Int) throws(ForwardedClientCertificateError) -> [UInt8] {
        guard position < bytes.count, bytes[position] == Self.quote else {
            let start = position
            while position < bytes.count, bytes[position] != Self.semicolon, bytes[position] != Self.comma {
                guard bytes[position] != Self.quote else {
                    throw Failure(.syntax, "element \(element), pair \(pair) has a quote inside an unquoted value")
                }
                position += 1
            }
            var end = position
            while end > start, Self.isSpace(bytes[end - 1]) {
                end -= 1
            }
            return Array(bytes[start..<end])
        }
        position += 1
        var value: [UInt8] = []
        while true {
            guard position < bytes.count else {
                throw Failure(.syntax, "element \(element), pair \(pair) has a quoted value without its closing quote")
            }
            let byte = bytes[position]
            if byte == Self.quote {
                position += 1
                break
            }
            if byte == Self.backslash, position + 1 < bytes.count {
                let next = bytes[position + 1]
                if next != Self.quote {
                    value.append(byte)
                }
                value.append(next)
                position += 2
            } else {
                value.append(byte)
                position += 1
            }
        }
        skipSpaces()
        guard position == bytes.count || bytes[position] == Self.semicolon || bytes[position] == Self.comma else {
            throw Failure(.syntax, "element \(element), pair \(pair) has text after its closing quote")
        }
        return value
    }

    private mutating func skipSpaces() {
        while position < bytes.count, Self.isSpace(bytes[position]) {
            position += 1
        }
    }

    /// Decodes `%XX` escapes (and nothing else: `+` stays `+`, as base64 needs) into UTF-8 text.
    private static func percentDecoded(_ value: [UInt8], what: String) throws(ForwardedClientCertificateError) -> String {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(value.count)
        var index = 0
        while index < value.count {
            guard value[index] == percent else {
                decoded.append(value[index])
                index += 1
                continue
            }
            guard index + 2 < value.count, let high = Hex.value(of: value[index + 1]), let low = Hex.value(of: value[index + 2]) else {
                throw Failure(.badPercentEncoding, "\(what) has a '%' not followed by two hex digits")
            }
            decoded.append(high << 4 | low)
            index += 3
        }
        guard let text = String(validating: decoded, as: UTF8.self) else {
            throw Failure(.badPercentEncoding, "\(what) does not decode to UTF-8 text")
        }
        return text
    }

    private static func displayName(_ key: String) -> String {
        switch key {
        case "hash": "Hash"
        case "cert": "Cert"
        case "chain": "Chain"
        case "subject": "Subject"
        default: key
        }
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == space || byte == tab }

    private static func isControl(_ byte: UInt8) -> Bool { (byte < 0x20 && byte != tab) || byte == 0x7F }

    private static func endsKey(_ byte: UInt8) -> Bool {
        byte == equals || byte == semicolon || byte == comma || byte == quote || isSpace(byte)
    }

    private static let comma = UInt8(ascii: ",")
    private static let semicolon = UInt8(ascii: ";")
    private static let equals = UInt8(ascii: "=")
    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")
    private static let percent = UInt8(ascii: "%")
    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")
}
