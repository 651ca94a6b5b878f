/// The positive test an operator applies to one present string value, compiled from the
/// policy's values (a list of values is OR-ed).
enum StringValueTest: Sendable {
    /// `StringEquals`: byte-exact equality.
    case equals([[UInt8]])
    /// `StringEqualsIgnoreCase`: equality after lower-casing both sides; values stored lower-cased.
    case equalsIgnoringCase([String])
    /// `StringLike`: `*`/`?` patterns.
    case like([WildcardPattern])
    /// `Numeric…`: the value read as a decimal number, compared with each policy number.
    case numeric(Comparison, [Double])
    /// `Bool`: the value read as `true`/`false` (any case).
    case bool([Bool])

    /// Whether `value` satisfies the test for at least one policy value.
    func matches(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        switch self {
        case .equals(let literals):
            return literals.contains { literal in
                literal.count == value.count && literal.withUnsafeBufferPointer { $0.elementsEqual(value) }
            }
        case .equalsIgnoringCase(let lowercased):
            if value.isASCII {
                return lowercased.contains { candidate in
                    withUTF8Bytes(candidate) { candidateBytes in
                        candidateBytes.count == value.count
                            && zip(candidateBytes, value).allSatisfy { $0 == ((0x41...0x5A).contains($1) ? $1 | 0x20 : $1) }
                    }
                }
            }
            let folded = String(decoding: value, as: UTF8.self).lowercased()
            return lowercased.contains(folded)
        case .like(let patterns):
            return patterns.contains { $0.matches(value) }
        case .numeric(let comparison, let numbers):
            guard let number = PolicyNumber.parse(String(decoding: value, as: UTF8.self)) else { return false }
            return numbers.contains { comparison.holds(number, $0) }
        case .bool(let flags):
            guard let flag = Self.parseBool(String(decoding: value, as: UTF8.self)) else { return false }
            return flags.contains(flag)
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
