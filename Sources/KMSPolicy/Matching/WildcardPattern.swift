/// A `*`/`?` pattern compiled once, matched against UTF-8 bytes without allocating.
///
/// `*` matches any run of characters (including none and including `/`), `?` exactly one
/// character. Matching is case-sensitive and byte-exact. Common shapes (`*`, an exact
/// value, `prefix*`) take fast paths; anything else uses a linear-time-in-practice
/// backtracking matcher that remembers only the last `*`. A final class with immutable
/// fields, so lists of patterns are scanned without copying each one.
final class WildcardPattern: Sendable {
    private enum Shape: Sendable {
        case anything
        case exact([UInt8])
        case prefix([UInt8])
        case general([UInt16])
    }

    /// The pattern as written in the policy.
    let text: String
    private let shape: Shape

    /// Compiles `text`.
    ///
    /// - Parameter wildcards: whether `*` and `?` are wildcards; when `false` the pattern
    ///   matches exactly the text (escapes still resolved), as `StringEquals` needs.
    /// - Throws: `PolicyTextError` for an unsupported `${...}` sequence.
    convenience init(_ text: String, wildcards: Bool = true) throws(PolicyTextError) {
        self.init(text: text, tokens: try PatternText.tokens(text, wildcards: wildcards))
    }

    /// A pattern that matches exactly `bytes`; `text` is how traces show it.
    convenience init(exactly bytes: [UInt8], text: String) {
        self.init(text: text, tokens: bytes.map(UInt16.init))
    }

    private init(text: String, tokens: [UInt16]) {
        self.text = text
        let wildcardPositions = tokens.indices.filter { tokens[$0] > 0xFF }
        if tokens.allSatisfy({ $0 == PatternText.anyRun }) && !tokens.isEmpty {
            shape = .anything
        } else if wildcardPositions.isEmpty {
            shape = .exact(tokens.map { UInt8(truncatingIfNeeded: $0) })
        } else if wildcardPositions == [tokens.count - 1], tokens.last == PatternText.anyRun {
            shape = .prefix(tokens.dropLast().map { UInt8(truncatingIfNeeded: $0) })
        } else {
            shape = .general(tokens)
        }
    }

    /// Whether the pattern holds any wildcard.
    var hasWildcards: Bool {
        if case .exact = shape { return false }
        return true
    }

    /// Whether the whole of `input` matches.
    func matches(_ input: UnsafeBufferPointer<UInt8>) -> Bool {
        switch shape {
        case .anything:
            return true
        case .exact(let literal):
            return literal.count == input.count && literal.withUnsafeBufferPointer { bytesEqual($0, input, count: input.count) }
        case .prefix(let literal):
            return literal.count <= input.count
                && literal.withUnsafeBufferPointer { bytesEqual($0, input, count: $0.count) }
        case .general(let tokens):
            return tokens.withUnsafeBufferPointer { Self.matchGeneral($0, input) }
        }
    }

    /// Glob matching with single-star backtracking: on a mismatch, let the most recent `*`
    /// swallow one more character and retry from there.
    private static func matchGeneral(_ tokens: UnsafeBufferPointer<UInt16>, _ input: UnsafeBufferPointer<UInt8>) -> Bool {
        var t = 0
        var i = 0
        var starToken = -1
        var starInput = 0
        while i < input.count {
            if t < tokens.count {
                let token = tokens[t]
                if token == PatternText.anyRun {
                    starToken = t
                    starInput = i
                    t += 1
                    continue
                }
                if token == PatternText.anyCharacter {
                    i = min(input.count, i + scalarLength(input[i]))
                    t += 1
                    continue
                }
                if token == UInt16(input[i]) {
                    i += 1
                    t += 1
                    continue
                }
            }
            guard starToken >= 0 else { return false }
            starInput = min(input.count, starInput + scalarLength(input[starInput]))
            i = starInput
            t = starToken + 1
        }
        while t < tokens.count, tokens[t] == PatternText.anyRun { t += 1 }
        return t == tokens.count
    }

    /// The length of the UTF-8 sequence that starts with `lead` (1 for a stray byte).
    private static func scalarLength(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...: 4
        case 0xE0...: 3
        case 0xC0...: 2
        default: 1
        }
    }
}
