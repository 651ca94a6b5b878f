import KMSCore
import KMSPolicy
import KMSProto

extension Kms_V1_ExplainAccessResponse {
    /// The answer to ExplainAccess: the decision, every statement and grant considered,
    /// and a one-sentence summary of what decided.
    init(_ explanation: AccessExplanation) {
        self.init()
        decision = Kms_V1_AccessDecision(explanation.decision)
        statements = explanation.statements.map(Kms_V1_StatementExplanation.init)
        grants = explanation.grants.map(Kms_V1_GrantExplanation.init)
        summary = Self.summary(of: explanation.decision)
    }

    /// One sentence naming the deciding statement or grant, or saying that nothing allowed.
    static func summary(of decision: AccessDecision) -> String {
        switch decision {
        case .allowed(let statement):
            "Allowed by \(statement)."
        case .allowedByGrant(let grantID):
            "Allowed by grant \(grantID); no statement denies it."
        case .explicitDeny(let statement):
            "Denied by \(statement); a Deny wins over every Allow and grant."
        case .implicitDeny:
            "Denied: no statement of the key or server policy and no grant allows the request."
        }
    }
}

extension Kms_V1_AccessDecision {
    init(_ decision: AccessDecision) {
        switch decision {
        case .allowed, .allowedByGrant: self = .allow
        case .explicitDeny: self = .explicitDeny
        case .implicitDeny: self = .implicitDeny
        }
    }
}

extension Kms_V1_StatementExplanation {
    init(_ evaluation: StatementEvaluation) {
        self.init()
        policy = evaluation.reference.policy.rawValue
        index = Int32(clamping: evaluation.reference.index)
        sid = evaluation.reference.sid ?? ""
        effect = evaluation.effect.rawValue
        principalMatched = evaluation.principalMatched
        actionMatched = evaluation.actionMatched
        resourceMatched = evaluation.resourceMatched
        conditions = evaluation.conditions.map(Kms_V1_ConditionExplanation.init)
        applies = evaluation.applies
    }
}

extension Kms_V1_ConditionExplanation {
    init(_ evaluation: ConditionEvaluation) {
        self.init()
        `operator` = evaluation.operatorName
        key = evaluation.key
        held = evaluation.held
        reason = evaluation.reason
    }
}

extension Kms_V1_GrantExplanation {
    init(_ evaluation: GrantEvaluation) {
        self.init()
        grantID = evaluation.grantID
        name = evaluation.name ?? ""
        applies = evaluation.applies
        reason = evaluation.reason
    }
}
