import KMSCore

/// Maps certificates whose name matches a pattern to a fixed principal.
///
/// Patterns are globs: `*` matches any run of characters (also none, also `/` and `.`),
/// `?` exactly one character, everything else itself; there is no escape, so `*` and `?`
/// are always wildcards. A pattern must match the whole name. URI and subject patterns are
/// case-sensitive; DNS patterns are not, as DNS names are not.
public struct IdentityRule: Sendable, Equatable {
    /// Which of the certificate's names a rule looks at, and the pattern it must match.
    public enum Match: Sendable, Equatable {
        /// Matches when any URI subject alternative name (such as a SPIFFE ID) matches.
        case uriSAN(String)
        /// Matches when any DNS subject alternative name matches, ignoring case.
        case dnsSAN(String)
        /// Matches when the subject DN, written in RFC 4514 form, matches.
        case subject(String)
    }

    /// The configuration names of the kinds, in the order of `Match`'s cases.
    public static let kinds = ["uri_san", "dns_san", "subject"]

    /// What the rule matches.
    public let match: Match
    /// The principal a matching certificate gets.
    public let principal: String

    private let pattern: WildcardPattern

    /// Creates a rule.
    ///
    /// - Throws: `KMSError` `.validation` when the pattern or the principal is empty.
    public init(_ match: Match, principal: String) throws(KMSError) {
        let (kind, text) = match.kindAndPattern
        guard !text.isEmpty else {
            throw KMSError(.validation, "identity rule \(kind) has an empty pattern")
        }
        guard !principal.isEmpty else {
            throw KMSError(.validation, "identity rule \(kind) '\(text)' has an empty principal")
        }
        self.match = match
        self.principal = principal
        if case .dnsSAN = match {
            self.pattern = WildcardPattern(text, caseInsensitive: true)
        } else {
            self.pattern = WildcardPattern(text)
        }
    }

    /// Creates a rule from configuration, where the kind is a string.
    ///
    /// - Parameters:
    ///   - kind: `uri_san`, `dns_san` or `subject` (see `kinds`).
    ///   - pattern: the glob the name must match.
    ///   - principal: the principal a matching certificate gets.
    /// - Throws: `KMSError` `.validation` for an unknown kind, an empty pattern or an empty principal.
    public init(kind: String, pattern: String, principal: String) throws(KMSError) {
        let match: Match
        switch kind {
        case "uri_san": match = .uriSAN(pattern)
        case "dns_san": match = .dnsSAN(pattern)
        case "subject": match = .subject(pattern)
        default:
            throw KMSError(
                .validation,
                "identity rule kind '\(kind)' is unknown; use one of \(Self.kinds.joined(separator: ", "))"
            )
        }
        try self.init(match, principal: principal)
    }

    /// Whether the rule matches a certificate with these names.
    func matches(uris: [String], dnsNames: [String], subject: String) -> Bool {
        switch match {
        case .uriSAN: uris.contains(where: pattern.matches)
        case .dnsSAN: dnsNames.contains(where: pattern.matches)
        case .subject: pattern.matches(subject)
        }
    }
}

extension IdentityRule.Match {
    /// The configuration name of the kind and the pattern.
    var kindAndPattern: (kind: String, pattern: String) {
        switch self {
        case .uriSAN(let pattern): ("uri_san", pattern)
        case .dnsSAN(let pattern): ("dns_san", pattern)
        case .subject(let pattern): ("subject", pattern)
        }
    }
}
