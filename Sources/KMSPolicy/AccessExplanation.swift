/// Every statement and grant the engine considered for a request and why each did or did
/// not apply; the data behind an "explain access" answer.
public struct AccessExplanation: Sendable, Equatable {
    /// The decision, the same `PolicyEngine.decide` returns.
    public let decision: AccessDecision
    /// Every statement considered, key policy first, each in document order.
    public let statements: [StatementEvaluation]
    /// Every grant of the request's key, in the order given; empty for actions that are
    /// not about one key, which grants never allow.
    public let grants: [GrantEvaluation]
}

/// How one statement fared against a request.
public struct StatementEvaluation: Sendable, Equatable {
    /// The statement.
    public let reference: StatementReference
    /// What the statement does when it applies.
    public let effect: PolicyEffect
    /// Whether `Principal` names the caller.
    public let principalMatched: Bool
    /// Whether `Action` names the action.
    public let actionMatched: Bool
    /// Whether `Resource` names the key (or `*`).
    public let resourceMatched: Bool
    /// Each condition in document order, with its outcome.
    public let conditions: [ConditionEvaluation]

    /// Whether the statement applies: everything matched and every condition held.
    public var applies: Bool {
        principalMatched && actionMatched && resourceMatched && conditions.allSatisfy(\.held)
    }
}

/// How one condition fared against a request.
public struct ConditionEvaluation: Sendable, Equatable {
    /// The operator as written, e.g. `StringEqualsIfExists`.
    public let operatorName: String
    /// The condition key as written, e.g. `kms:EncryptionContext:tenant`.
    public let key: String
    /// Whether the condition held.
    public let held: Bool
    /// One line naming the request's value and the test, e.g.
    /// `kms:EncryptionContext:tenant is "beta"; StringEquals ["acme"] fails`.
    public let reason: String
}
