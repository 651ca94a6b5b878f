/// One test of a `Condition` block (one operator applied to one key), ready to evaluate.
///
/// Semantics follow IAM. For a present key, a negated operator (`StringNotEquals`,
/// `NotIpAddress`…) holds exactly when its positive twin does not. For an absent key,
/// positive operators fail, negated ones hold, and `…IfExists` holds. `ForAllValues:` holds
/// when the key has no values, `ForAnyValue:` does not (unless `IfExists`).
///
/// A final class with immutable fields, so evaluation reads it without copying.
final class CompiledCondition: Sendable {
    /// What the compiled test reads and how.
    enum Test: Sendable {
        case string(ConditionKey.StringKey, StringValueTest)
        case stringSet(ConditionKey.StringSetKey, StringValueTest, all: Bool)
        case currentTime(Comparison, [Double])
        case sourceIP([CIDRBlock])
        case null(ConditionKey, expectAbsent: [Bool])
    }

    /// The operator as written, e.g. `ForAnyValue:StringLike`.
    let operatorName: String
    /// The key as written, e.g. `kms:EncryptionContext:tenant`.
    let keyName: String
    /// The policy values as written (numbers and booleans as JSON text).
    let valueTexts: [String]
    let key: ConditionKey
    let test: Test
    let negated: Bool
    let ifExists: Bool

    init(
        operatorName: String, keyName: String, valueTexts: [String], key: ConditionKey, test: Test, negated: Bool,
        ifExists: Bool
    ) {
        self.operatorName = operatorName
        self.keyName = keyName
        self.valueTexts = valueTexts
        self.key = key
        self.test = test
        self.negated = negated
        self.ifExists = ifExists
    }

    /// Whether the condition holds for the request.
    func holds(in context: EvaluationContext) -> Bool {
        switch test {
        case .string(let key, let test):
            return context.withValue(of: key) { value in
                guard let value else { return ifExists || negated }
                return test.matches(value) != negated
            }
        case .stringSet(let key, let test, let all):
            let negated = self.negated
            return context.test(values: key, all: all) { test.matches($0) != negated } ?? (all || ifExists)
        case .currentTime(let comparison, let times):
            return times.contains { comparison.holds(context.currentTime, $0) } != negated
        case .sourceIP(let blocks):
            guard context.request.sourceIP != nil else { return ifExists || negated }
            let inBlock = context.request.sourceAddress.map { address in blocks.contains { $0.contains(address) } }
            return (inBlock ?? false) != negated
        case .null(let key, let expectAbsent):
            return expectAbsent.contains(context.isAbsent(key))
        }
    }

    /// The condition's outcome with a one-line reason, for `PolicyEngine.explain`.
    func evaluation(in context: EvaluationContext) -> ConditionEvaluation {
        let held = holds(in: context)
        let values = "[" + valueTexts.joined(separator: ", ") + "]"
        let reason = "\(keyName) is \(context.describe(key) ?? "absent"); \(operatorName) \(values) \(held ? "holds" : "fails")"
        return ConditionEvaluation(operatorName: operatorName, key: keyName, held: held, reason: reason)
    }
}
