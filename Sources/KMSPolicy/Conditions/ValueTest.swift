/// The positive test an operator applies to one present string value, compiled from the
/// policy's values (a list of values is OR-ed).
enum StringValueTest: Sendable {
    /// `StringEquals` (patterns without wildcards, so byte-exact equality) and `StringLike`.
    case patterns([WildcardPattern])
    /// `StringEqualsIgnoreCase`: exact patterns over the lower-cased values, matched against
    /// the lower-cased request value.
    case lowercasedPatterns([WildcardPattern])
    /// `Numeric…`: the value read as a decimal number, compared with each policy number.
    case numeric(Comparison, [Double])
    /// `Bool`: the value read as `true`/`false` (any case).
    case bool([Bool])

    /// Whether `value` satisfies the test for at least one policy value.
    func matches(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        switch self {
        case .patterns(let patterns):
            return patterns.containsWithoutRetaining { $0.matches(value) }
        case .lowercasedPatterns(let patterns):
            return Self.withLowercased(value) { folded in patterns.containsWithoutRetaining { $0.matches(folded) } }
        case .numeric(let comparison, let numbers):
            guard let number = PolicyNumber.parse(String(decoding: value, as: UTF8.self)) else { return false }
            return numbers.contains { comparison.holds(number, $0) }
        case .bool(let flags):
            guard let flag = Self.parseBool(String(decoding: value, as: UTF8.self)) else { return false }
            return flags.contains(flag)
        }
    }

    /// Calls `body` with `value` lower-cased: ASCII in a stack buffer, anything else through
    /// `String.lowercased()` (Unicode rules, as the policy side was lower-cased).
    private static func withLowercased(
        _ value: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Bool
    ) -> Bool {
        guard value.isASCII else {
            return withUTF8Bytes(String(decoding: value, as: UTF8.self).lowercased(), body)
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: value.count) { buffer in
            for index in value.indices {
                let byte = value[index]
                buffer[index] = (0x41...0x5A).contains(byte) ? byte | 0x20 : byte
            }
            return body(UnsafeBufferPointer(buffer))
        }
    }

    /// `true`/`false` in any case; `nil` for anything else.
    static func parseBool(_ text: String) -> Bool? {
        switch text.asciiLowercased {
        case "true": true
        case "false": false
        default: nil
        }
    }
}

/// How a request number or time is compared with a policy value.
enum Comparison: Sendable {
    case equals, lessThan, lessThanOrEqual, greaterThan, greaterThanOrEqual

    /// Whether `requestValue` relates to `policyValue` this way.
    func holds(_ requestValue: Double, _ policyValue: Double) -> Bool {
        switch self {
        case .equals: requestValue == policyValue
        case .lessThan: requestValue < policyValue
        case .lessThanOrEqual: requestValue <= policyValue
        case .greaterThan: requestValue > policyValue
        case .greaterThanOrEqual: requestValue >= policyValue
        }
    }
}
