/// A JSON value as the policy compiler sees it.
///
/// Objects keep their members in document order; the parser guarantees member names are
/// unique. `foreign` only comes from converting a non-JSON object graph (a YAML date, say)
/// and is reported as a type error by the compiler.
enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
    case foreign(typeName: String)

    /// How the value's type is named in error messages ("a string", "a list"…).
    var typeDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "a list"
        case .object: "an object"
        case .foreign(let typeName): "a value of type \(typeName)"
        }
    }
}

/// The members of a JSON object, in document order, with unique names.
struct JSONObject: Sendable {
    /// The members in document order.
    let members: [(name: String, value: JSONValue)]

    /// The member's value, or `nil` when the object has no member of that name.
    subscript(name: String) -> JSONValue? {
        members.first { $0.name == name }?.value
    }
}
