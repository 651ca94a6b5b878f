/// Names from a certificate, quoted for error messages and logs.
enum MessageText {
    /// The most characters of a name a message shows.
    static let limit = 100

    /// `text` in single quotes, with `'` and `\` escaped by a backslash, every character
    /// outside printable ASCII written as `\u{…}`, and cut after `limit` characters (marked
    /// by `…`), so a hostile name can neither break a log line nor flood it.
    static func quoted(_ text: String) -> String {
        var out = "'"
        var count = 0
        for scalar in text.unicodeScalars {
            guard count < limit else { return out + "'…" }
            switch scalar.value {
            case 0x27, 0x5C:
                out += "\\"
                out.unicodeScalars.append(scalar)
            case 0x20...0x7E:
                out.unicodeScalars.append(scalar)
            default:
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
            count += 1
        }
        return out + "'"
    }
}
