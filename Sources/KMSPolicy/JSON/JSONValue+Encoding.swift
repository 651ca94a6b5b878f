extension JSONValue {
    /// The value as pretty-printed JSON text: two-space indentation, members in stored order.
    var prettyPrinted: String {
        var out = ""
        write(to: &out, indent: "")
        return out
    }

    private func write(to out: inout String, indent: String) {
        switch self {
        case .null, .foreign: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .number(let value): out += Self.numberText(value)
        case .string(let value): out += Self.stringLiteral(value)
        case .array(let elements):
            guard !elements.isEmpty else { out += "[]"; return }
            out += "[\n"
            for (position, element) in elements.enumerated() {
                out += indent + "  "
                element.write(to: &out, indent: indent + "  ")
                out += position == elements.count - 1 ? "\n" : ",\n"
            }
            out += indent + "]"
        case .object(let object):
            guard !object.members.isEmpty else { out += "{}"; return }
            out += "{\n"
            for (position, member) in object.members.enumerated() {
                out += indent + "  " + Self.stringLiteral(member.name) + ": "
                member.value.write(to: &out, indent: indent + "  ")
                out += position == object.members.count - 1 ? "\n" : ",\n"
            }
            out += indent + "}"
        }
    }

    /// A number as JSON text: integral values without a fraction.
    static func numberText(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992 { return String(Int64(value)) }
        return String(value)
    }

    /// `text` as a JSON string literal, quotes included.
    static func stringLiteral(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// A policy string quoted for an error message or trace: JSON-escaped and cut after 80
/// characters so a huge value cannot flood a message.
func quoted(_ text: String) -> String {
    let limit = 80
    guard text.count > limit else { return JSONValue.stringLiteral(text) }
    return JSONValue.stringLiteral(String(text.prefix(limit))) + "…"
}
