/// Compiles a statement's `Condition` block:
/// `{"Operator": {"conditionKey": "value" | ["v1", "v2"]}}`.
///
/// Every operator and key must be known and fit together (a Date operator on
/// `kms:CurrentTime`, a set operator on a multi-valued key…); nothing is ignored.
/// Error messages start with the operator and key they are about; the statement parser
/// puts the statement and `Condition:` in front.
enum ConditionParser {
    /// Compiles the block.
    ///
    /// - Throws: `PolicyTextError` naming the operator, key and problem.
    static func parse(_ block: JSONValue) throws(PolicyTextError) -> [CompiledCondition] {
        guard case .object(let operators) = block else {
            throw PolicyTextError("expected an object of condition operators, found \(block.typeDescription)")
        }
        guard !operators.members.isEmpty else { throw PolicyTextError("must not be empty") }
        var conditions: [CompiledCondition] = []
        for (operatorName, keys) in operators.members {
            let conditionOperator = try ConditionOperator(parsing: operatorName)
            guard case .object(let keys) = keys else {
                throw PolicyTextError("\(operatorName): expected an object of condition keys, found \(keys.typeDescription)")
            }
            guard !keys.members.isEmpty else { throw PolicyTextError("\(operatorName): must not be empty") }
            for (keyName, values) in keys.members {
                let path = "\(operatorName): \(keyName)"
                guard let key = ConditionKey(name: keyName) else {
                    throw PolicyTextError("\(operatorName): unknown condition key \(quoted(keyName))")
                }
                do throws(PolicyTextError) {
                    conditions.append(
                        try compile(conditionOperator, operatorName: operatorName, key: key, keyName: keyName,
                                    values: try valueList(values)))
                } catch {
                    throw PolicyTextError("\(path): \(error.message)")
                }
            }
        }
        return conditions
    }

    private static func valueList(_ value: JSONValue) throws(PolicyTextError) -> [JSONValue] {
        switch value {
        case .array(let elements):
            guard !elements.isEmpty else { throw PolicyTextError("the list of values must not be empty") }
            for element in elements {
                switch element {
                case .string, .number, .bool: continue
                default: throw PolicyTextError("expected a value, found \(element.typeDescription) in the list")
                }
            }
            return elements
        case .string, .number, .bool:
            return [value]
        default:
            throw PolicyTextError("expected a value or a non-empty list of values, found \(value.typeDescription)")
        }
    }

    private static func compile(
        _ op: ConditionOperator, operatorName: String, key: ConditionKey, keyName: String, values: [JSONValue]
    ) throws(PolicyTextError) -> CompiledCondition {
        let test: CompiledCondition.Test
        switch (op.base, key) {
        case (.null, _):
            test = .null(key, expectAbsent: try values.map(boolValue))
        case (.dateEquals, .currentTime), (.dateNotEquals, .currentTime), (.dateLessThan, .currentTime),
            (.dateLessThanEquals, .currentTime), (.dateGreaterThan, .currentTime), (.dateGreaterThanEquals, .currentTime):
            test = .currentTime(comparison(op.base), try values.map(dateValue))
        case (.ipAddress, .sourceIP), (.notIpAddress, .sourceIP):
            test = .sourceIP(try values.map { (value) throws(PolicyTextError) in try CIDRBlock(stringValue(value)) })
        case (_, .currentTime):
            throw PolicyTextError("kms:CurrentTime takes Date operators only")
        case (_, .sourceIP):
            throw PolicyTextError("kms:SourceIp takes IpAddress or NotIpAddress only")
        case (.dateEquals, _), (.dateNotEquals, _), (.dateLessThan, _), (.dateLessThanEquals, _),
            (.dateGreaterThan, _), (.dateGreaterThanEquals, _):
            throw PolicyTextError("Date operators apply only to kms:CurrentTime")
        case (.ipAddress, _), (.notIpAddress, _):
            throw PolicyTextError("IpAddress and NotIpAddress apply only to kms:SourceIp")
        case (_, .string(let stringKey)):
            guard op.quantifier == .single else {
                throw PolicyTextError(
                    "\(keyName) is single-valued; ForAllValues: and ForAnyValue: apply to the multi-valued keys "
                        + "kms:EncryptionContextKeys and kms:GrantOperations")
            }
            test = .string(stringKey, try stringTest(op.base, values))
        case (_, .stringSet(let setKey)):
            guard op.quantifier != .single else {
                throw PolicyTextError("\(keyName) is multi-valued; use ForAllValues: or ForAnyValue: with a String operator")
            }
            test = .stringSet(setKey, try stringTest(op.base, values), all: op.quantifier == .forAllValues)
        }
        return CompiledCondition(
            operatorName: operatorName, keyName: keyName, valueTexts: values.map(displayText), key: key, test: test,
            negated: op.base.isNegated, ifExists: op.ifExists)
    }

    private static func stringTest(
        _ base: ConditionOperator.Base, _ values: [JSONValue]
    ) throws(PolicyTextError) -> StringValueTest {
        switch base {
        case .stringEquals, .stringNotEquals:
            return .patterns(try values.map { (value) throws(PolicyTextError) in
                try WildcardPattern(stringValue(value), wildcards: false)
            })
        case .stringEqualsIgnoreCase, .stringNotEqualsIgnoreCase:
            return .lowercasedPatterns(try values.map { (value) throws(PolicyTextError) in
                let text = try stringValue(value)
                let literal = try PatternText.tokens(text, wildcards: false).map { UInt8(truncatingIfNeeded: $0) }
                let lowercased = String(decoding: literal, as: UTF8.self).lowercased()
                return WildcardPattern(exactly: Array(lowercased.utf8), text: text)
            })
        case .stringLike, .stringNotLike:
            return .patterns(try values.map { (value) throws(PolicyTextError) in try WildcardPattern(stringValue(value)) })
        case .numericEquals, .numericNotEquals, .numericLessThan, .numericLessThanEquals, .numericGreaterThan,
            .numericGreaterThanEquals:
            return .numeric(comparison(base), try values.map(numberValue))
        case .bool:
            return .bool(try values.map(boolValue))
        case .dateEquals, .dateNotEquals, .dateLessThan, .dateLessThanEquals, .dateGreaterThan,
            .dateGreaterThanEquals, .ipAddress, .notIpAddress, .null:
            throw PolicyTextError("\(base.rawValue) does not apply to string keys")
        }
    }

    private static func comparison(_ base: ConditionOperator.Base) -> Comparison {
        switch base {
        case .numericLessThan, .dateLessThan: .lessThan
        case .numericLessThanEquals, .dateLessThanEquals: .lessThanOrEqual
        case .numericGreaterThan, .dateGreaterThan: .greaterThan
        case .numericGreaterThanEquals, .dateGreaterThanEquals: .greaterThanOrEqual
        default: .equals
        }
    }

    // MARK: - Values

    private static func stringValue(_ value: JSONValue) throws(PolicyTextError) -> String {
        guard case .string(let text) = value else {
            throw PolicyTextError("expected a string, found \(value.typeDescription)")
        }
        return text
    }

    private static func numberValue(_ value: JSONValue) throws(PolicyTextError) -> Double {
        switch value {
        case .number(let number): return number
        case .string(let text):
            guard let number = PolicyNumber.parse(text) else { throw PolicyTextError("\(quoted(text)) is not a number") }
            return number
        default: throw PolicyTextError("expected a number, found \(value.typeDescription)")
        }
    }

    private static func boolValue(_ value: JSONValue) throws(PolicyTextError) -> Bool {
        switch value {
        case .bool(let flag): return flag
        case .string(let text):
            guard let flag = StringValueTest.parseBool(text) else {
                throw PolicyTextError("\(quoted(text)) is not true or false")
            }
            return flag
        default: throw PolicyTextError("expected true or false, found \(value.typeDescription)")
        }
    }

    private static func dateValue(_ value: JSONValue) throws(PolicyTextError) -> Double {
        switch value {
        case .number(let seconds): return seconds
        case .string(let text):
            guard let seconds = PolicyDate.parse(text) else {
                throw PolicyTextError(
                    "\(quoted(text)) is not a date (ISO 8601 such as 2025-01-31T12:00:00Z, or seconds since 1970)")
            }
            return seconds
        default: throw PolicyTextError("expected a date, found \(value.typeDescription)")
        }
    }

    private static func displayText(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): quoted(text)
        case .bool(let flag): flag ? "true" : "false"
        case .number(let number): JSONValue.numberText(number)
        default: value.typeDescription
        }
    }
}
