import Foundation

extension JSONValue {
    /// Converts an object graph as produced by `JSONSerialization` or a YAML loader.
    ///
    /// Dictionaries become objects with members sorted by name (their order is not
    /// meaningful). Values JSON cannot hold, such as a `Date` a YAML loader made of an
    /// unquoted `2012-10-17`, become `.foreign` so the compiler can name them in its error.
    init(foundationObject value: Any) {
        if type(of: value) == Bool.self, let flag = value as? Bool {
            self = .bool(flag)
            return
        }
        switch value {
        case is NSNull: self = .null
        case let text as String: self = .string(text)
        case let number as Int: self = .number(Double(number))
        case let number as Int64: self = .number(Double(number))
        case let number as UInt64: self = .number(Double(number))
        case let number as Double: self = .number(number)
        case let number as Float: self = .number(Double(number))
        case let elements as [Any]: self = .array(elements.map(JSONValue.init(foundationObject:)))
        case let dictionary as [String: Any]:
            let members = dictionary.keys.sorted().compactMap { name in
                dictionary[name].map { (name: name, value: JSONValue(foundationObject: $0)) }
            }
            self = .object(JSONObject(members: members))
        default: self = .foreign(typeName: String(describing: type(of: value)))
        }
    }
}
