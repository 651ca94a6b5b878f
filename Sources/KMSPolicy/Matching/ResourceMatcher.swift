import KMSCore

/// The resources one statement names: `*` or `key/<key id>` patterns.
///
/// `*` matches every request: in a key policy it means the key the policy is attached to,
/// in the server policy every key and the server itself. A `key/` pattern matches key
/// actions whose key id, written `key/<lower-case uuid>`, matches; it never matches
/// actions that are not about one key (CreateKey, ListKeys, GenerateRandom).
struct ResourceMatcher: Sendable {
    private let everything: Bool
    /// Patterns over the 36-character lower-case key id, `key/` removed.
    private let keyPatterns: [WildcardPattern]

    private static let keyPrefix = "key/"
    private static let keyIDCharacters = Set("0123456789abcdef-".utf8.map(UInt16.init))

    /// Compiles the statement's resource entries.
    ///
    /// - Throws: `PolicyTextError` for an entry that is neither `*` nor a `key/` pattern
    ///   that can match a key id.
    init(entries: [String]) throws(PolicyTextError) {
        var keyPatterns: [WildcardPattern] = []
        for entry in entries where entry != "*" {
            guard entry.hasPrefix(Self.keyPrefix) else {
                throw PolicyTextError("\(quoted(entry)) is neither \"*\" nor a \"key/<key id>\" pattern")
            }
            let idText = String(entry.dropFirst(Self.keyPrefix.count))
            let tokens = try PatternText.tokens(idText, wildcards: true)
            let literals = tokens.filter { $0 <= 0xFF }
            guard literals.allSatisfy(Self.keyIDCharacters.contains) else {
                throw PolicyTextError(
                    "\(quoted(entry)) can never match: key ids are lower-case UUIDs (0-9, a-f and '-')")
            }
            guard literals.count < tokens.count || KeyID(string: idText)?.description == idText else {
                throw PolicyTextError("\(quoted(entry)) is not a key id (a lower-case UUID)")
            }
            keyPatterns.append(try WildcardPattern(idText))
        }
        everything = entries.contains("*")
        self.keyPatterns = everything ? [] : keyPatterns
    }

    /// Whether the request's resource is named. The key id's text is only looked at (and
    /// so only written) when a `key/` pattern needs it.
    func matches(in context: EvaluationContext) -> Bool {
        if everything { return true }
        guard context.isKeyAction, let keyID = context.keyID else { return false }
        return keyPatterns.containsWithoutRetaining { $0.matches(keyID) }
    }
}
