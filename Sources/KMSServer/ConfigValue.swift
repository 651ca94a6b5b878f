import Foundation
import Yams

/// A YAML value of the configuration file, kept apart from Yams's node types so the
/// loader can check keys and types and name the offending path in its errors.
indirect enum ConfigValue {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
    case list([ConfigValue])
    case mapping([(key: String, value: ConfigValue)])

    init(_ node: Node) throws {
        switch node {
        case .scalar(let scalar):
            // Quoted scalars are always strings; plain ones may be booleans, numbers or null.
            if scalar.style != .plain {
                self = .string(scalar.string)
            } else if let bool = Bool.construct(from: scalar) {
                self = .bool(bool)
            } else if let int = Int.construct(from: scalar) {
                self = .number(Double(int))
            } else if let double = Double.construct(from: scalar) {
                self = .number(double)
            } else if NSNull.construct(from: scalar) != nil {
                self = .null
            } else {
                self = .string(scalar.string)
            }
        case .sequence(let sequence):
            self = .list(try sequence.map(ConfigValue.init))
        case .mapping(let mapping):
            self = .mapping(try mapping.map { key, value in
                guard case .scalar(let scalar) = key else { throw ConfigurationError("mapping keys must be strings") }
                return (scalar.string, try ConfigValue(value))
            })
        case .alias:
            throw ConfigurationError("YAML aliases are not supported in the configuration")
        }
    }

    func string(at path: String) throws -> String {
        switch self {
        case .string(let text): return text
        // Whole numbers print without ".0"; not past 1e15, where Int(number) would trap on
        // `1e20` or `.inf` (FuzzServerConfiguration reproduces it) and precision ends anyway.
        case .number(let number):
            return number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
        default: throw ConfigurationError("\(path) must be a string")
        }
    }

    func bool(at path: String) throws -> Bool {
        guard case .bool(let flag) = self else { throw ConfigurationError("\(path) must be true or false") }
        return flag
    }

    /// The value as a whole number within `range`.
    func wholeNumber(at path: String, in range: ClosedRange<Int>) throws -> Int {
        guard case .number(let number) = self, let whole = Int(exactly: number), range.contains(whole) else {
            throw ConfigurationError("\(path) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return whole
    }

    func list(at path: String) throws -> [ConfigValue] {
        guard case .list(let items) = self else { throw ConfigurationError("\(path) must be a list") }
        return items
    }

    /// The value as a mapping, refusing keys outside `allowed` (typos are errors).
    func mapping(at path: String, allowed: Set<String>) throws -> [String: ConfigValue] {
        guard case .mapping(let pairs) = self else { throw ConfigurationError("\(path) must be a mapping") }
        var result: [String: ConfigValue] = [:]
        for (key, value) in pairs {
            guard allowed.contains(key) else {
                throw ConfigurationError("\(path): unknown key '\(key)' (known: \(allowed.sorted().joined(separator: ", ")))")
            }
            result[key] = value
        }
        return result
    }

    /// The value as JSON text, for documents written in YAML such as the server policy.
    func jsonText(at path: String) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: jsonObject, options: [.sortedKeys])
        guard let text = String(data: data, encoding: .utf8) else { throw ConfigurationError("\(path) cannot be written as JSON") }
        return text
    }

    private var jsonObject: Any {
        switch self {
        case .string(let text): text
        case .number(let number): number == number.rounded() && abs(number) < 1e15 ? Int(number) as Any : number as Any
        case .bool(let bool): bool
        case .null: NSNull()
        case .list(let items): items.map(\.jsonObject)
        case .mapping(let pairs): Dictionary(pairs.map { ($0.key, $0.value.jsonObject) }, uniquingKeysWith: { _, last in last })
        }
    }
}

extension Dictionary where Key == String, Value == ConfigValue {
    func required(_ key: String, in path: String) throws -> ConfigValue {
        guard let value = self[key] else { throw ConfigurationError("\(path): missing key '\(key)'") }
        return value
    }
}
