import Foundation

/// Writes flat JSON objects on one line with their members in a fixed order, as the
/// command-line tools print results and failures. (JSONEncoder, which writes each string
/// here, does not keep the order of an object's members.)
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

        /// `bytes` in base64, as a string.
        public static func base64(_ bytes: Data) -> Value {
            .string(bytes.base64EncodedString())
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

    /// `text` as a JSON string literal (`/` left as it is).
    static func quoted(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        guard let literal = try? encoder.encode(text) else { return "\"\"" }
        return String(decoding: literal, as: UTF8.self)
    }
}
