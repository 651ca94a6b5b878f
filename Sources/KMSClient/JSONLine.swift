import Foundation

/// Writes flat JSON objects on one line with their members in a fixed order, as the
/// command-line tools print results and failures (JSONEncoder does not keep the order).
public enum JSONLine {
    /// A member's value.
    public enum Value: Sendable, Equatable {
        case string(String)
        case integer(Int64)
        case null

        /// `.string(text)`, or `.null` for `nil`.
        public static func optionalString(_ text: String?) -> Value {
            text.map(Value.string) ?? .null
        }
    }

    /// `{"name":value,…}` with the members in the order given, without a newline.
    public static func object(_ members: [(String, Value)]) -> String {
        "{" + members.map { name, value in quoted(name) + ":" + encoded(value) }.joined(separator: ",") + "}"
    }

    private static func encoded(_ value: Value) -> String {
        switch value {
        case .string(let text): quoted(text)
        case .integer(let number): String(number)
        case .null: "null"
        }
    }

    /// `text` as a JSON string: quotes, backslashes and control characters escaped, `/` left as it is.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                result += String(format: "\\u%04x", scalar.value)
            default:
                result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
