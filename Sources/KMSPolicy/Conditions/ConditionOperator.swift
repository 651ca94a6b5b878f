/// A condition operator as written, e.g. `ForAnyValue:StringLikeIfExists`, split into its
/// set quantifier, base operator and `IfExists` flag.
struct ConditionOperator: Sendable {
    /// How a multi-valued key's values are combined.
    enum Quantifier: Sendable {
        /// A single-valued key.
        case single
        /// `ForAllValues:` — every request value must satisfy the test; no values satisfies it.
        case forAllValues
        /// `ForAnyValue:` — at least one request value must satisfy the test.
        case forAnyValue
    }

    /// The operator without prefix and suffix.
    enum Base: String, Sendable, CaseIterable {
        case stringEquals = "StringEquals"
        case stringNotEquals = "StringNotEquals"
        case stringEqualsIgnoreCase = "StringEqualsIgnoreCase"
        case stringNotEqualsIgnoreCase = "StringNotEqualsIgnoreCase"
        case stringLike = "StringLike"
        case stringNotLike = "StringNotLike"
        case numericEquals = "NumericEquals"
        case numericNotEquals = "NumericNotEquals"
        case numericLessThan = "NumericLessThan"
        case numericLessThanEquals = "NumericLessThanEquals"
        case numericGreaterThan = "NumericGreaterThan"
        case numericGreaterThanEquals = "NumericGreaterThanEquals"
        case dateEquals = "DateEquals"
        case dateNotEquals = "DateNotEquals"
        case dateLessThan = "DateLessThan"
        case dateLessThanEquals = "DateLessThanEquals"
        case dateGreaterThan = "DateGreaterThan"
        case dateGreaterThanEquals = "DateGreaterThanEquals"
        case bool = "Bool"
        case ipAddress = "IpAddress"
        case notIpAddress = "NotIpAddress"
        case null = "Null"

        /// Whether the operator is the negation of a positive one; negated operators hold
        /// for an absent key.
        var isNegated: Bool {
            switch self {
            case .stringNotEquals, .stringNotEqualsIgnoreCase, .stringNotLike, .numericNotEquals, .dateNotEquals,
                .notIpAddress:
                true
            default: false
            }
        }
    }

    private static let forAllPrefix = "ForAllValues:"
    private static let forAnyPrefix = "ForAnyValue:"
    private static let ifExistsSuffix = "IfExists"

    let quantifier: Quantifier
    let base: Base
    let ifExists: Bool

    /// Parses an operator name (case-sensitive, as IAM).
    ///
    /// - Throws: `PolicyTextError` for an unknown operator or a prefix/suffix the base
    ///   operator does not take.
    init(parsing text: String) throws(PolicyTextError) {
        var rest = Substring(text)
        if rest.hasPrefix(Self.forAllPrefix) {
            quantifier = .forAllValues
            rest = rest.dropFirst(Self.forAllPrefix.count)
        } else if rest.hasPrefix(Self.forAnyPrefix) {
            quantifier = .forAnyValue
            rest = rest.dropFirst(Self.forAnyPrefix.count)
        } else {
            quantifier = .single
        }
        ifExists = rest.hasSuffix(Self.ifExistsSuffix) && rest != Self.ifExistsSuffix[...]
        if ifExists { rest = rest.dropLast(Self.ifExistsSuffix.count) }
        guard let base = Base(rawValue: String(rest)) else {
            throw PolicyTextError("unknown operator \(quoted(text))")
        }
        self.base = base
        if base == .null && ifExists {
            throw PolicyTextError("\(quoted(text)): Null takes no IfExists suffix")
        }
        if quantifier != .single && !base.rawValue.hasPrefix("String") {
            throw PolicyTextError("\(quoted(text)): ForAllValues: and ForAnyValue: apply to String operators only")
        }
    }
}
