import KMSCore

/// The actions one statement names, resolved at compile time to a bit per `KMSAction`.
///
/// Action names are matched case-insensitively (`kms:encrypt` is `kms:Encrypt`), as IAM
/// does. A name or pattern that matches no action is an error, which catches typos.
struct ActionSet: Sendable {
    /// Every action in a fixed order; an action's position is its bit.
    static let order: [KMSAction] = KMSAction.allCases

    private let members: [Bool]

    /// Resolves the action names and patterns of one statement.
    ///
    /// - Throws: `PolicyTextError` naming the first entry that matches no action.
    init(patterns: [String]) throws(PolicyTextError) {
        var members = [Bool](repeating: false, count: Self.order.count)
        for text in patterns {
            let pattern = try WildcardPattern(text.asciiLowercased)
            var matchedAny = false
            for (position, action) in Self.order.enumerated()
            where withUTF8Bytes(action.rawValue.asciiLowercased, pattern.matches) {
                members[position] = true
                matchedAny = true
            }
            guard matchedAny else {
                throw PolicyTextError(
                    pattern.hasWildcards ? "\(quoted(text)) matches no action" : "unknown action \(quoted(text))")
            }
        }
        self.members = members
    }

    /// The position of `action` in `order`, computed once per request.
    static func ordinal(of action: KMSAction) -> Int {
        order.firstIndex(of: action) ?? -1
    }

    /// Whether the action at `ordinal` is in the set.
    func contains(ordinal: Int) -> Bool {
        members.indices.contains(ordinal) && members[ordinal]
    }
}
