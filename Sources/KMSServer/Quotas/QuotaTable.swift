import KMSCore

/// The token buckets of every principal that called recently: one bucket per principal and
/// rule, made full when first needed.
///
/// Pure: the time is a parameter (a monotonic instant), and the table does no locking
/// (`QuotaEnforcer` keeps it under a mutex). It cannot grow without bound: every
/// `sweepInterval` it forgets the principals idle for `idleTimeout` whose buckets are full
/// again (a new bucket starts full, so forgetting them changes nothing), and it never holds
/// more than `maxPrincipals`: when a new principal would exceed that, the idle full ones go
/// first, then the least recently used (whose buckets then start full again; logged).
struct QuotaTable: Sendable {
    /// How long a principal must be idle before it may be forgotten.
    static let defaultIdleTimeout: Duration = .seconds(60)
    /// The most principals the table holds.
    static let defaultMaxPrincipals = 100_000
    /// How often the table looks for principals to forget.
    static let sweepInterval: Duration = .seconds(15)

    /// What the table decided about one call.
    enum Decision: Sendable, Equatable {
        /// No rule covers the call.
        case unlimited
        /// A rule covers it and its bucket had the tokens; they are taken.
        case admitted
        /// A rule (by its index in `quotas:`) covers it and its bucket is short; nothing was
        /// taken; the call would be admitted after `retryAfter`.
        case throttled(retryAfter: Duration, rule: Int)
    }

    /// One principal's state: which rule applies to each method it called, and its buckets.
    private struct Entry: Sendable {
        /// The rule index per operation; `nil` where no rule applies.
        var rules: [String: Int?] = [:]
        /// The buckets by rule index.
        var buckets: [Int: TokenBucket] = [:]
        var lastUsed: Duration

        mutating func decide(
            _ count: Int, principal: Principal, operation: String, rules compiled: QuotaRules, at now: Duration, take: Bool
        ) -> Decision {
            lastUsed = now
            let index: Int?
            if let cached = rules[operation] {
                index = cached
            } else {
                index = compiled.rule(for: principal, operation: operation)?.index
                rules[operation] = .some(index)
            }
            guard let index else { return .unlimited }
            if buckets[index] == nil {
                let rule = compiled.rules[index]
                buckets[index] = TokenBucket(rate: rule.requestsPerSecond, burst: rule.burst, now: now)
            }
            let decision = take ? buckets[index]!.take(count, at: now) : buckets[index]!.check(count, at: now)
            switch decision {
            case .admitted: return .admitted
            case .throttled(let retryAfter): return .throttled(retryAfter: retryAfter, rule: index)
            }
        }

        /// Whether the principal may be forgotten at `now`: idle long enough, buckets full.
        func isForgettable(at now: Duration, idleTimeout: Duration) -> Bool {
            now - lastUsed >= idleTimeout && buckets.values.allSatisfy { $0.isFull(at: now) }
        }
    }

    let rules: QuotaRules
    let idleTimeout: Duration
    let maxPrincipals: Int
    private var entries: [Principal: Entry] = [:]
    private var lastSweep: Duration?
    /// Principals forgotten before their buckets were full, because the table was full of
    /// principals that called within `idleTimeout`.
    private(set) var earlyEvictions = 0

    init(rules: QuotaRules, idleTimeout: Duration = Self.defaultIdleTimeout, maxPrincipals: Int = Self.defaultMaxPrincipals) {
        precondition(maxPrincipals >= 1, "the quota table must hold at least one principal")
        self.rules = rules
        self.idleTimeout = idleTimeout
        self.maxPrincipals = maxPrincipals
    }

    /// The principals the table holds.
    var count: Int { entries.count }

    /// Whether the table holds `principal`.
    func contains(_ principal: Principal) -> Bool { entries[principal] != nil }

    /// Takes `count` tokens for `principal` calling `operation` at `now`, when its rule's
    /// bucket has them (see `TokenBucket.take`).
    mutating func take(_ count: Int, principal: Principal, operation: String, at now: Duration) -> Decision {
        decide(count, principal: principal, operation: operation, at: now, take: true)
    }

    /// What `take` would decide, without taking anything.
    mutating func check(_ count: Int, principal: Principal, operation: String, at now: Duration) -> Decision {
        decide(count, principal: principal, operation: operation, at: now, take: false)
    }

    private mutating func decide(_ count: Int, principal: Principal, operation: String, at now: Duration, take: Bool) -> Decision {
        if lastSweep.map({ now - $0 >= Self.sweepInterval }) ?? true {
            sweep(at: now)
        }
        if entries[principal] == nil {
            makeRoom(at: now)
            entries[principal] = Entry(lastUsed: now)
        }
        return entries[principal]!.decide(count, principal: principal, operation: operation, rules: rules, at: now, take: take)
    }

    /// Forgets the principals idle for `idleTimeout` whose buckets are full.
    mutating func sweep(at now: Duration) {
        lastSweep = now
        entries = entries.filter { !$0.value.isForgettable(at: now, idleTimeout: idleTimeout) }
    }

    /// Makes room for one more principal: sweeps, and when every principal called within
    /// `idleTimeout`, forgets the least recently used eighth of them.
    private mutating func makeRoom(at now: Duration) {
        guard entries.count >= maxPrincipals else { return }
        sweep(at: now)
        guard entries.count >= maxPrincipals else { return }
        let oldest = entries.sorted { $0.value.lastUsed < $1.value.lastUsed }.prefix(max(1, maxPrincipals / 8))
        for (principal, _) in oldest {
            entries[principal] = nil
        }
        earlyEvictions += oldest.count
    }
}
