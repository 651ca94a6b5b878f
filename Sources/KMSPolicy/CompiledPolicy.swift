import KMSCore

/// A policy document, checked and compiled once when it is stored, ready for fast
/// evaluation by `PolicyEngine`.
///
/// The document language is described in `docs/POLICY.md`. Compiling resolves every
/// action, pattern, condition key, date and address block, so evaluation parses nothing.
public struct CompiledPolicy: Sendable {
    /// The document the policy was compiled from, as given (or, from `jsonObject`, as
    /// JSON text).
    public let source: String
    private let storage: Storage

    /// The compiled statements, shared by every copy of the policy so that passing a policy
    /// around retains one object.
    private final class Storage: Sendable {
        let statements: [CompiledStatement]
        /// For each action in turn (by `ActionSet` ordinal), the `Deny` statements naming
        /// it, in document order; evaluation visits only the action's run.
        let denyStatementsByAction: [CompiledStatement]
        /// Where each action's run starts and ends in `denyStatementsByAction`.
        let denyRanges: [Range<Int>]
        /// The same for `Allow` statements.
        let allowStatementsByAction: [CompiledStatement]
        let allowRanges: [Range<Int>]

        init(_ statements: [CompiledStatement]) {
            self.statements = statements
            func index(_ effect: PolicyEffect) -> ([CompiledStatement], [Range<Int>]) {
                var runs: [CompiledStatement] = []
                var ranges: [Range<Int>] = []
                for ordinal in ActionSet.order.indices {
                    let start = runs.count
                    runs += statements.filter { $0.effect == effect && $0.actions.contains(ordinal: ordinal) }
                    ranges.append(start..<runs.count)
                }
                return (runs, ranges)
            }
            (denyStatementsByAction, denyRanges) = index(.deny)
            (allowStatementsByAction, allowRanges) = index(.allow)
        }

        /// The first statement with `effect` naming the context's action that applies.
        func firstApplying(_ effect: PolicyEffect, in context: EvaluationContext) -> CompiledStatement? {
            let ordinal = context.actionOrdinal
            switch effect {
            case .deny:
                guard denyRanges.indices.contains(ordinal) else { return nil }
                return denyStatementsByAction.firstIndexWithoutRetaining(in: denyRanges[ordinal]) {
                    $0.applies(in: context)
                }.map { denyStatementsByAction[$0] }
            case .allow:
                guard allowRanges.indices.contains(ordinal) else { return nil }
                return allowStatementsByAction.firstIndexWithoutRetaining(in: allowRanges[ordinal]) {
                    $0.applies(in: context)
                }.map { allowStatementsByAction[$0] }
            }
        }
    }

    private init(source: String, statements: [CompiledStatement]) {
        self.source = source
        storage = Storage(statements)
    }

    /// Every statement, in document order.
    var statements: [CompiledStatement] { storage.statements }

    /// The first statement with `effect` that applies in `context`, in document order.
    func firstApplying(_ effect: PolicyEffect, in context: EvaluationContext) -> CompiledStatement? {
        storage.firstApplying(effect, in: context)
    }

    /// Compiles a JSON policy document.
    ///
    /// - Parameter json: the document text, at most `Limits.maxPolicyBytes` bytes of UTF-8.
    /// - Returns: the compiled policy.
    /// - Throws: `KMSError` `.limitExceeded` when the document is too large;
    ///   `.malformedPolicy` when it is not valid JSON (the message gives line and column) or
    ///   not a valid policy (the message names the statement and field).
    public static func compile(_ json: String) throws(KMSError) -> CompiledPolicy {
        try checkSize(json)
        let document: JSONValue
        do {
            document = try JSONParser.parse(json)
        } catch {
            throw KMSError(.malformedPolicy, "the policy is not valid JSON: \(error.message)")
        }
        return CompiledPolicy(source: json, statements: try PolicyDocumentParser.compile(document))
    }

    /// Compiles a policy given as an object graph, such as a YAML loader or
    /// `JSONSerialization` produces (dictionaries, arrays, strings, numbers, booleans).
    ///
    /// `source` becomes the document as pretty-printed JSON with members sorted by name.
    ///
    /// - Throws: `KMSError` `.malformedPolicy` as for `compile(_:)` (a value JSON cannot
    ///   hold, like a date a YAML loader made of an unquoted `2012-10-17`, is named as a
    ///   wrong type); `.limitExceeded` when the JSON text is larger than
    ///   `Limits.maxPolicyBytes`.
    public static func compile(jsonObject: Any) throws(KMSError) -> CompiledPolicy {
        let document = JSONValue(foundationObject: jsonObject)
        let source = document.prettyPrinted
        try checkSize(source)
        return CompiledPolicy(source: source, statements: try PolicyDocumentParser.compile(document))
    }

    /// The number of statements.
    public var statementCount: Int { storage.statements.count }

    private static func checkSize(_ json: String) throws(KMSError) {
        let size = json.utf8.count
        guard size <= Limits.maxPolicyBytes else {
            throw KMSError(.limitExceeded, "the policy is \(size) bytes; at most \(Limits.maxPolicyBytes) are allowed")
        }
    }
}
