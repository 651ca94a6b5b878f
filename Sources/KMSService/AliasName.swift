import KMSCore

/// The rules for alias names, in one place: `alias/` followed by at least one of
/// `[A-Za-z0-9/_-]`, at most 256 characters in all; names under `alias/kms/` and
/// `alias/aws/` (AWS KMS's names of its own keys, so that code moved from AWS meets the same
/// rule) are reserved.
enum AliasName {
    static let prefix = "alias/"
    static let reservedPrefixes = ["alias/kms/", "alias/aws/"]

    /// Whether the text is meant as an alias rather than a key id.
    static func isAlias(_ text: String) -> Bool {
        text.hasPrefix(prefix)
    }

    /// Checks the form of a name used to find a key; reserved names are allowed (they
    /// simply name no key).
    ///
    /// - Throws: `.validation` naming `field`.
    static func checkSyntax(_ name: String, field: String) throws(KMSError) {
        if let problem = syntaxProblem(name) { throw KMSError(.validation, "\(field) \(problem)") }
    }

    /// Whether the name has the form of an alias name (reserved or not).
    static func isWellFormed(_ name: String) -> Bool {
        syntaxProblem(name) == nil
    }

    /// What is wrong with the name's form, as the end of a sentence naming the field.
    private static func syntaxProblem(_ name: String) -> String? {
        guard name.hasPrefix(prefix) else { return "must start with '\(prefix)'" }
        guard name.utf8.count > prefix.utf8.count else { return "needs a name after '\(prefix)'" }
        guard name.count <= Limits.maxAliasNameCharacters else {
            return "has \(name.count) characters; at most \(Limits.maxAliasNameCharacters) are allowed"
        }
        guard name.utf8.dropFirst(prefix.utf8.count).allSatisfy(isAllowed) else {
            return "may contain only letters A-Z and a-z, digits, '/', '_' and '-' after '\(prefix)'"
        }
        return nil
    }

    /// Checks a name given to create, update or delete an alias: its form, and that it is
    /// not reserved.
    ///
    /// - Throws: `.validation` naming `field`.
    static func checkWritable(_ name: String, field: String = "alias_name") throws(KMSError) {
        try checkSyntax(name, field: field)
        if let reserved = reservedPrefixes.first(where: name.hasPrefix) {
            throw KMSError(.validation, "\(field): names under '\(reserved)' are reserved")
        }
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "/"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}
