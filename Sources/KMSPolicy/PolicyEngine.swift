import KMSCore

/// Decides requests against a key policy, the server policy and the key's grants.
///
/// Order of evaluation:
/// 1. For actions that are not about one key (`KMSAction.isKeyAction == false`) the key
///    policy and the grants are ignored; only the server policy counts.
/// 2. If any `Deny` statement of either policy applies, the request is explicitly denied.
/// 3. Otherwise, if any `Allow` statement of either policy applies, it is allowed.
/// 4. Otherwise, if a grant allows it (see `decide`), it is allowed by that grant.
/// 5. Otherwise it is implicitly denied.
///
/// Within that order the key policy is searched before the server policy, statements in
/// document order and grants in the order given, so what a decision names is deterministic.
public enum PolicyEngine {
    /// Decides `request`. Pure: no parsing and no I/O; visits only the statements that name
    /// the request's action and stops at the first that decides, and looks at grants only
    /// when no statement decided.
    ///
    /// A grant allows the request when its `keyID` is the request's key, its
    /// `granteePrincipal` is exactly the caller, its `operations` contain the action and
    /// the request's encryption context is within its `constraints`.
    ///
    /// - Parameters:
    ///   - request: the request to authorize.
    ///   - keyPolicy: the policy of the key the request is about, if any.
    ///   - serverPolicy: the server-wide policy, if configured.
    ///   - grants: the live grants of the key the request is about; others never match.
    /// - Returns: the decision and the statement or grant that made it.
    public static func decide(
        _ request: AccessRequest, keyPolicy: CompiledPolicy?, serverPolicy: CompiledPolicy?, grants: [Grant] = []
    ) -> AccessDecision {
        let decision = EvaluationContext.with(request) { context -> AccessDecision in
            if let deny = firstApplying(.deny, keyPolicy: keyPolicy, serverPolicy: serverPolicy, context) {
                return .explicitDeny(by: deny)
            }
            if let allow = firstApplying(.allow, keyPolicy: keyPolicy, serverPolicy: serverPolicy, context) {
                return .allowed(by: allow)
            }
            return .implicitDeny
        }
        guard case .implicitDeny = decision, request.action.isKeyAction,
              let grant = grants.firstIndex(where: { $0.allows(request) })
        else { return decision }
        return .allowedByGrant(grantID: grants[grant].grantID)
    }

    /// Evaluates every statement of both policies and every grant of the key against
    /// `request` and records why each did or did not apply, with the decision `decide`
    /// would return.
    ///
    /// Slower than `decide` (it allocates the trace); meant for an "explain access" answer
    /// and for debugging policies. Grants of other keys than the request's are left out.
    ///
    /// - Parameters: as for `decide`.
    /// - Returns: the decision, each statement's evaluation and each grant's.
    public static func explain(
        _ request: AccessRequest, keyPolicy: CompiledPolicy?, serverPolicy: CompiledPolicy?, grants: [Grant] = []
    ) -> AccessExplanation {
        let policies: [(PolicySource, CompiledPolicy?)] = [
            (.key, request.action.isKeyAction ? keyPolicy : nil), (.server, serverPolicy),
        ]
        let evaluations = EvaluationContext.with(request) { context in
            policies.flatMap { source, policy in
                (policy?.statements ?? []).map { $0.evaluation(in: context, policy: source) }
            }
        }
        let grantEvaluations = request.action.isKeyAction
            ? grants.filter { $0.keyID == request.keyID }.map { $0.evaluation(for: request) } : []
        let decision: AccessDecision
        if let deny = evaluations.first(where: { $0.effect == .deny && $0.applies }) {
            decision = .explicitDeny(by: deny.reference)
        } else if let allow = evaluations.first(where: { $0.effect == .allow && $0.applies }) {
            decision = .allowed(by: allow.reference)
        } else if let grant = grantEvaluations.first(where: \.applies) {
            decision = .allowedByGrant(grantID: grant.grantID)
        } else {
            decision = .implicitDeny
        }
        return AccessExplanation(decision: decision, statements: evaluations, grants: grantEvaluations)
    }

    /// The first applying statement with `effect`: the key policy's (for key actions), else
    /// the server policy's.
    private static func firstApplying(
        _ effect: PolicyEffect, keyPolicy: CompiledPolicy?, serverPolicy: CompiledPolicy?,
        _ context: EvaluationContext
    ) -> StatementReference? {
        if context.isKeyAction, let statement = keyPolicy?.firstApplying(effect, in: context) {
            return statement.reference(in: .key)
        }
        return serverPolicy?.firstApplying(effect, in: context)?.reference(in: .server)
    }
}
