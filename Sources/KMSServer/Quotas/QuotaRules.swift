import KMSCore
import KMSIdentity

/// The `quotas:` rules, compiled: which rule applies to a principal's call of a method.
///
/// Pure. The first rule whose principal pattern matches and whose operations include the
/// method (or that names no operations) applies; when none does, the call has no quota.
struct QuotaRules: Sendable {
    /// One compiled rule.
    struct Rule: Sendable {
        /// The rule's position in `quotas:`, which names it in messages and keys its buckets.
        let index: Int
        let pattern: WildcardPattern
        /// The methods it covers; `nil` for every method.
        let operations: Set<String>?
        let requestsPerSecond: Double
        let burst: Int

        func covers(_ principal: Principal, operation: String) -> Bool {
            (operations?.contains(operation) ?? true) && pattern.matches(principal.name)
        }
    }

    let rules: [Rule]

    /// Compiles `quotas`.
    ///
    /// - Throws: `ConfigurationError` naming the first invalid rule and field.
    init(_ quotas: [ServerConfiguration.QuotaRule]) throws(ConfigurationError) {
        try ServerConfiguration.validate(quotas: quotas)
        rules = quotas.enumerated().map { index, rule in
            Rule(
                index: index, pattern: WildcardPattern(rule.principal), operations: rule.operations.map(Set.init),
                requestsPerSecond: rule.requestsPerSecond, burst: rule.burst
            )
        }
    }

    /// The rule that applies to `principal` calling `operation` (a `kms.v1` method name; a
    /// batch call's item operation), or `nil` when none does.
    func rule(for principal: Principal, operation: String) -> Rule? {
        rules.first { $0.covers(principal, operation: operation) }
    }

    /// The operation a call of `method` is counted as: the single call for a batch method's
    /// items, else the method itself.
    static func operation(of method: String) -> String {
        ServerConfiguration.batchItemOperations[method] ?? method
    }
}
