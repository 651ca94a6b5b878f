/// Turns policy text into match tokens, resolving the literal escapes `${*}`, `${?}` and
/// `${$}`.
///
/// A token is a UTF-8 byte (0...255) or one of the two wildcards. Policy variables
/// (`${aws:username}` in IAM) are not supported, so any other `${` is an error rather than
/// text that silently never matches.
enum PatternText {
    /// Matches any run of characters, including none and including `/`.
    static let anyRun: UInt16 = 0x100
    /// Matches exactly one character (Unicode scalar).
    static let anyCharacter: UInt16 = 0x101

    /// The tokens of `text`.
    ///
    /// - Parameter wildcards: whether `*` and `?` are wildcards (patterns) or plain
    ///   characters (exact-match values).
    /// - Throws: a message when `text` holds a `${` that is not one of the three escapes.
    static func tokens(_ text: String, wildcards: Bool) throws(PolicyTextError) -> [UInt16] {
        let bytes = Array(text.utf8)
        var tokens: [UInt16] = []
        tokens.reserveCapacity(bytes.count)
        var position = 0
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "$"), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "{") {
                guard position + 3 < bytes.count, bytes[position + 3] == UInt8(ascii: "}"),
                    [UInt8(ascii: "*"), UInt8(ascii: "?"), UInt8(ascii: "$")].contains(bytes[position + 2])
                else {
                    throw PolicyTextError(
                        "\(quoted(text)): policy variables are not supported; "
                            + "write ${*}, ${?} or ${$} for a literal *, ? or $")
                }
                tokens.append(UInt16(bytes[position + 2]))
                position += 4
                continue
            }
            switch byte {
            case UInt8(ascii: "*") where wildcards: tokens.append(anyRun)
            case UInt8(ascii: "?") where wildcards: tokens.append(anyCharacter)
            default: tokens.append(UInt16(byte))
            }
            position += 1
        }
        return tokens
    }

    /// `text` with `*`, `?` and `$` escaped, so that as a pattern it matches exactly `text`.
    static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "*": out += "${*}"
            case "?": out += "${?}"
            case "$": out += "${$}"
            default: out.append(character)
            }
        }
        return out
    }
}

/// A problem with one policy value; the compiler prefixes the statement and field.
struct PolicyTextError: Error {
    let message: String

    init(_ message: String) {
        self.message = message
    }
}
