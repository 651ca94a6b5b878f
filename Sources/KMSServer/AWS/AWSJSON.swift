import Foundation

/// A JSON value of AWS's JSON 1.1 protocol, as read from a request body and written to a
/// response body. Booleans, whole numbers and other numbers are told apart as JSON does.
enum AWSJSON: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([AWSJSON])
    case object([String: AWSJSON])

    /// A blob: base64 text, as AWS sends bytes.
    static func blob(_ bytes: some Collection<UInt8>) -> AWSJSON {
        .string(Data(bytes).base64EncodedString())
    }

    /// A time: seconds since 1970 with a fraction, as AWS sends timestamps.
    static func date(_ date: Date) -> AWSJSON {
        .number((date.timeIntervalSince1970 * 1000).rounded() / 1000)
    }

    /// A list of strings.
    static func strings(_ values: [String]) -> AWSJSON {
        .array(values.map(AWSJSON.string))
    }

    /// An object of string values (an encryption context).
    static func stringMap(_ values: [String: String]) -> AWSJSON {
        .object(values.mapValues(AWSJSON.string))
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([AWSJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: AWSJSON].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The JSON type's name, for error messages.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .number: "a number"
        case .string: "a string"
        case .array: "a list"
        case .object: "an object"
        }
    }
}

extension AWSJSON: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The value's shape without its text: request and response bodies carry plaintexts and
    /// data keys, which must not reach a log line or a test failure message.
    var description: String {
        switch self {
        case .null, .bool, .integer, .number: typeName
        case .string(let text): "a string of \(text.utf8.count) bytes"
        case .array(let items): "a list of \(items.count)"
        case .object(let object): "an object with \(object.keys.sorted())"
        }
    }

    var debugDescription: String { description }

    var customMirror: Mirror { Mirror(self, children: [], displayStyle: .enum) }
}
