/// The principals one statement names: `*` for everyone, or exact names and patterns
/// (`spiffe://prod.example/ns/payments/*`), compared case-sensitively.
struct PrincipalMatcher: Sendable {
    private let everyone: Bool
    private let patterns: [WildcardPattern]

    /// Compiles the statement's principal entries.
    ///
    /// - Throws: `PolicyTextError` for an entry with an unsupported `${...}` sequence.
    init(entries: [String]) throws(PolicyTextError) {
        var patterns: [WildcardPattern] = []
        for entry in entries {
            patterns.append(try WildcardPattern(entry))
        }
        everyone = entries.contains("*")
        self.patterns = everyone ? [] : patterns
    }

    /// Whether the caller, given as the UTF-8 bytes of its name, is named.
    func matches(_ principal: UnsafeBufferPointer<UInt8>) -> Bool {
        everyone || patterns.containsWithoutRetaining { $0.matches(principal) }
    }
}
