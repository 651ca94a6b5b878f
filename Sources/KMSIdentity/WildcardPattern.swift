/// A glob pattern where `*` stands for any run of characters (also none, also `/`) and
/// `?` for exactly one character; every other character stands for itself.
///
/// Matching is linear in practice: it backtracks only to the most recent `*`, so a
/// pattern with many stars cannot make it take exponential time.
struct WildcardPattern: Sendable, Equatable {
    private let characters: [Character]
    private let caseInsensitive: Bool

    /// Compiles `pattern`; with `caseInsensitive`, both sides are lower-cased before matching.
    init(_ pattern: String, caseInsensitive: Bool = false) {
        self.characters = Array(caseInsensitive ? pattern.lowercased() : pattern)
        self.caseInsensitive = caseInsensitive
    }

    /// Whether the whole of `text` matches the pattern.
    func matches(_ text: String) -> Bool {
        let text = Array(caseInsensitive ? text.lowercased() : text)
        var p = 0
        var t = 0
        // Where the last `*` was in the pattern, and where in the text it started matching.
        var star: (pattern: Int, text: Int)?
        while t < text.count {
            if p < characters.count, characters[p] == "?" || (characters[p] != "*" && characters[p] == text[t]) {
                p += 1
                t += 1
            } else if p < characters.count, characters[p] == "*" {
                star = (p, t)
                p += 1
            } else if let last = star {
                // Let the last star swallow one more character and try again after it.
                star = (last.pattern, last.text + 1)
                p = last.pattern + 1
                t = last.text + 1
            } else {
                return false
            }
        }
        while p < characters.count, characters[p] == "*" {
            p += 1
        }
        return p == characters.count
    }
}
