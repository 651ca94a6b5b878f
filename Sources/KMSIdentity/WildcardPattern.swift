/// A glob pattern where `*` stands for any run of characters (also none, also `/`) and
/// `?` for exactly one Unicode scalar; every other scalar stands for itself.
///
/// Names are compared scalar by scalar, which is byte for byte in UTF-8: no Unicode
/// normalization, so `café` written with a combining accent does not match `café` written
/// with `é` (as policies compare principals).
///
/// Matching is linear in practice: it backtracks only to the most recent `*`, so a
/// pattern with many stars cannot make it take exponential time.
public struct WildcardPattern: Sendable, Equatable {
    private let characters: [Unicode.Scalar]
    private let caseInsensitive: Bool

    /// Compiles `pattern`; with `caseInsensitive`, both sides are lower-cased before matching.
    public init(_ pattern: String, caseInsensitive: Bool = false) {
        self.characters = Array((caseInsensitive ? pattern.lowercased() : pattern).unicodeScalars)
        self.caseInsensitive = caseInsensitive
    }

    /// Whether the whole of `text` matches the pattern.
    public func matches(_ text: String) -> Bool {
        let text = Array((caseInsensitive ? text.lowercased() : text).unicodeScalars)
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
