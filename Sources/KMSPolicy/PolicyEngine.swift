/// Decides requests against a key policy and the server policy.
///
/// Order of evaluation:
/// 1. For actions that are not about one key (`KMSAction.isKeyAction == false`) the key
///    policy is ignored; only the server policy counts.
/// 2. If any `Deny` statement of either policy applies, the request is explicitly denied.
/// 3. Otherwise, if any `Allow` statement of either policy applies, it is allowed.
/// 4. Otherwise it is implicitly denied.
///
/// Within that order the key policy is searched before the server policy, and statements
/// in document order, so the statement a decision names is deterministic.
public enum PolicyEngine {
    /// Decides `request`. Pure: no parsing and no I/O; visits only the statements that name
    /// the request's action and stops at the first that decides.
    ///
    /// - Parameters:
    ///   - request: the request to authorize.
    ///   - keyPolicy: the policy of the key the request is about, if any.
    ///   - serverPolicy: the server-wide policy, if configured.
    /// - Returns: the decision and the statement that made it.
    public static func decide(
        _ request: AccessRequest, keyPolicy: CompiledPolicy?, serverPolicy: CompiledPolicy?
    ) -> AccessDecision {
        EvaluationContext.with(request) { context in
            if let deny = firstApplying(.deny, keyPolicy: keyPolicy, serverPolicy: serverPolicy, context) {
                return .explicitDeny(by: deny)
            }
            if let allow = firstApplying(.allow, keyPolicy: keyPolicy, serverPolicy: serverPolicy, context) {
                return .allowed(by: allow)
            }
            return .implicitDeny
        }
    }

    /// Evaluates every statement of both policies against `request` and records why each
    /// did or did not apply, with the decision `decide` would return.
    ///
    /// Slower than `decide` (it allocates the trace); meant for an "explain access" answer
    /// and for debugging policies.
    public static func explain(
        _ request: AccessRequest, keyPolicy: CompiledPolicy?, serverPolicy: CompiledPolicy?
    ) -> AccessExplanation {
        let policies: [(PolicySource, CompiledPolicy?)] = [
            (.key, request.action.isKeyAction ? keyPolicy : nil), (.server, serverPolicy),
        ]
        let evaluations = EvaluationContext.with(request) { context in
            policies.flatMap { source, policy in
                (policy?.statements ?? []).map { $0.evaluation(in: context, policy: source) }
            }
        }
        let decision: AccessDecision
        if let deny = evaluations.first(where: { $0.effect == .deny && $0.applies }) {
            decision = .explicitDeny(by: deny.reference)
        } else if let allow = evaluations.first(where: { $0.effect == .allow && $0.applies }) {
            decision = .allowed(by: allow.reference)
        } else {
            decision = .implicitDeny
        }
        return AccessExplanation(decision: decision, statements: evaluations)
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
