/// One statement, compiled: everything the evaluation tests is precomputed.
struct CompiledStatement: Sendable {
    /// The 0-based position in the document's `Statement` list.
    let index: Int
    let sid: String?
    let effect: PolicyEffect
    let principals: PrincipalMatcher
    let actions: ActionSet
    let resources: ResourceMatcher
    let conditions: [CompiledCondition]

    /// Whether the statement applies to the request; cheapest tests first.
    func applies(in context: EvaluationContext) -> Bool {
        actions.contains(ordinal: context.actionOrdinal)
            && resources.matches(isKeyAction: context.isKeyAction, keyID: context.keyID)
            && principals.matches(context.principal)
            && conditions.allSatisfy { $0.holds(in: context) }
    }

    /// Every part's outcome, without short-circuiting, for `PolicyEngine.explain`.
    func evaluation(in context: EvaluationContext, policy: PolicySource) -> StatementEvaluation {
        StatementEvaluation(
            reference: reference(in: policy),
            effect: effect,
            principalMatched: principals.matches(context.principal),
            actionMatched: actions.contains(ordinal: context.actionOrdinal),
            resourceMatched: resources.matches(isKeyAction: context.isKeyAction, keyID: context.keyID),
            conditions: conditions.map { $0.evaluation(in: context) }
        )
    }

    /// Points at this statement in `policy`.
    func reference(in policy: PolicySource) -> StatementReference {
        StatementReference(policy: policy, index: index, sid: sid)
    }
}
