import Foundation
import KMSProto

extension ServerConfiguration {
    /// One rule of `quotas:` (docs/CONFIGURATION.md#quotas): every principal that matches
    /// `principal` gets its own token bucket of `requestsPerSecond` and `burst` for the
    /// `operations` the rule names (every `kms.v1` method when `nil`). The first rule that
    /// matches a call's principal and method applies; a call no rule matches has no quota.
    public struct QuotaRule: Sendable, Equatable {
        /// The allowed values of `requestsPerSecond`.
        public static let requestsPerSecondRange: ClosedRange<Double> = 0.01...1_000_000
        /// The allowed values of `burst`.
        public static let burstRange = 1...1_000_000

        /// A principal pattern: `*` stands for any run of characters, `?` for one, as in
        /// `identity.trusted_proxies`; `"*"` alone matches every principal.
        public var principal: String
        /// `kms.v1` method names (`Encrypt`, `GenerateDataKey`); `nil` for every method. The
        /// items of BatchEncrypt, BatchDecrypt and BatchGenerateDataKey count as Encrypt,
        /// Decrypt and GenerateDataKey requests, one per item.
        public var operations: [String]?
        /// Tokens added to each principal's bucket per second.
        public var requestsPerSecond: Double
        /// The most tokens a bucket holds: the requests a principal may make at once after
        /// being idle.
        public var burst: Int

        /// A rule; `burst` defaults to one second's worth of requests (at least 1).
        public init(principal: String, operations: [String]? = nil, requestsPerSecond: Double, burst: Int? = nil) {
            self.principal = principal
            self.operations = operations
            self.requestsPerSecond = requestsPerSecond
            self.burst = burst ?? Self.defaultBurst(requestsPerSecond: requestsPerSecond)
        }

        /// One second's worth of requests, at least 1 (within `burstRange`).
        static func defaultBurst(requestsPerSecond: Double) -> Int {
            guard requestsPerSecond.isFinite else { return 1 }
            return min(burstRange.upperBound, max(1, Int(requestsPerSecond.rounded(.up))))
        }
    }

    /// The `kms.v1` methods a quota rule may name: every method but the batch calls, whose
    /// items count as the single calls (`batchItemOperations`).
    static var quotaOperations: Set<String> {
        Set(Kms_V1_KeyManagementService.Method.descriptors.map(\.method)).subtracting(batchItemOperations.keys)
    }

    /// The batch methods and the operation each of their items counts as.
    static let batchItemOperations = [
        "BatchEncrypt": "Encrypt", "BatchDecrypt": "Decrypt", "BatchGenerateDataKey": "GenerateDataKey",
    ]

    /// Checks the `quotas:` rules.
    ///
    /// - Throws: `ConfigurationError` naming the rule (`quotas[2].burst`) and what is wrong.
    static func validate(quotas: [QuotaRule]) throws(ConfigurationError) {
        let known = quotaOperations
        for (index, rule) in quotas.enumerated() {
            let at = "quotas[\(index)]"
            guard !rule.principal.isEmpty else {
                throw ConfigurationError("\(at).principal: must not be empty (\"*\" matches every principal)")
            }
            guard rule.requestsPerSecond.isFinite, QuotaRule.requestsPerSecondRange.contains(rule.requestsPerSecond) else {
                throw ConfigurationError(
                    "\(at).requests_per_second: \(rule.requestsPerSecond) is outside \(QuotaRule.requestsPerSecondRange.lowerBound)–\(Int(QuotaRule.requestsPerSecondRange.upperBound))"
                )
            }
            guard QuotaRule.burstRange.contains(rule.burst) else {
                throw ConfigurationError("\(at).burst: \(rule.burst) is outside \(QuotaRule.burstRange.lowerBound)–\(QuotaRule.burstRange.upperBound)")
            }
            guard let operations = rule.operations else { continue }
            guard !operations.isEmpty else {
                throw ConfigurationError("\(at).operations: is empty; leave it out to cover every method")
            }
            for (position, name) in operations.enumerated() {
                let path = "\(at).operations[\(position)]"
                if name.hasPrefix("kms:"), known.contains(String(name.dropFirst(4))) {
                    throw ConfigurationError("\(path): write the kms.v1 method name without 'kms:' ('\(name.dropFirst(4))')")
                }
                if let single = batchItemOperations[name] {
                    throw ConfigurationError("\(path): the items of \(name) count as \(single) requests; name \(single)")
                }
                guard known.contains(name) else {
                    throw ConfigurationError("\(path): '\(name)' is not a kms.v1 method (for example Encrypt, Decrypt, GenerateDataKey)")
                }
            }
        }
    }

    /// Reads the `quotas:` list.
    static func quotas(_ value: ConfigValue) throws -> [QuotaRule] {
        let rules = try value.list(at: "quotas").enumerated().map { index, item in
            let at = "quotas[\(index)]"
            let fields = try item.mapping(at: at, allowed: ["principal", "operations", "requests_per_second", "burst"])
            let principal = try fields.required("principal", in: at).string(at: "\(at).principal")
            let operations = try fields["operations"].map { list in
                try list.list(at: "\(at).operations").enumerated().map { position, name in
                    try name.string(at: "\(at).operations[\(position)]")
                }
            }
            guard case .number(let rate) = try fields.required("requests_per_second", in: at) else {
                throw ConfigurationError("\(at).requests_per_second must be a number from 0.01 to 1000000")
            }
            let burst = try fields["burst"].map { try $0.wholeNumber(at: "\(at).burst", in: QuotaRule.burstRange) }
            return QuotaRule(principal: principal, operations: operations, requestsPerSecond: rate, burst: burst)
        }
        try validate(quotas: rules)
        return rules
    }
}
