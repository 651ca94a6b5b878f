/// One statement, compiled: everything the evaluation tests is precomputed.
///
/// A final class with immutable fields, so evaluation visits statements without copying
/// (and retaining) each field.
final class CompiledStatement: Sendable {
    /// The 0-based position in the document's `Statement` list.
    let index: Int
    let sid: String?
    let effect: PolicyEffect
    let principals: PrincipalMatcher
    let actions: ActionSet
    let resources: ResourceMatcher
    let conditions: [CompiledCondition]

    init(
        index: Int, sid: String?, effect: PolicyEffect, principals: PrincipalMatcher, actions: ActionSet,
        resources: ResourceMatcher, conditions: [CompiledCondition]
    ) {
        self.index = index
        self.sid = sid
        self.effect = effect
        self.principals = principals
        self.actions = actions
        self.resources = resources
        self.conditions = conditions
    }

    /// Whether the statement applies to the request, given that its `Action` names the
    /// request's action (`CompiledPolicy` only asks statements that do); cheapest tests first.
    func applies(in context: EvaluationContext) -> Bool {
        resources.matches(in: context)
            && principals.matches(context.principal)
            && conditions.allSatisfyWithoutRetaining { $0.holds(in: context) }
    }

    /// Every part's outcome, without short-circuiting, for `PolicyEngine.explain`.
    func evaluation(in context: EvaluationContext, policy: PolicySource) -> StatementEvaluation {
        StatementEvaluation(
            reference: reference(in: policy),
            effect: effect,
            principalMatched: principals.matches(context.principal),
            actionMatched: actions.contains(ordinal: context.actionOrdinal),
            resourceMatched: resources.matches(in: context),
            conditions: conditions.map { $0.evaluation(in: context) }
        )
    }

    /// Points at this statement in `policy`.
    func reference(in policy: PolicySource) -> StatementReference {
        StatementReference(policy: policy, index: index, sid: sid)
    }
}
