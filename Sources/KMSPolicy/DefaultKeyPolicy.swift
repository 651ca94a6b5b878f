import KMSCore

/// The key policy a new key gets when its creator supplies none.
public enum DefaultKeyPolicy {
    /// The `Sid` of the statement that gives the creator full access.
    public static let creatorStatementSid = "DefaultCreatorAccess"

    /// A policy that allows `creator`, and only `creator`, every action (`kms:*`) on the key.
    ///
    /// Characters with a meaning in patterns (`*`, `?`, `$`) in the creator's name are
    /// escaped, so the statement names exactly that principal.
    ///
    /// - Parameter creator: the principal that created the key.
    /// - Returns: the policy as pretty-printed JSON, ready for `CompiledPolicy.compile(_:)`.
    public static func json(creator: Principal) -> String {
        let statement = JSONObject(members: [
            ("Sid", .string(creatorStatementSid)),
            ("Effect", .string(PolicyEffect.allow.rawValue)),
            ("Principal", .string(PatternText.escaped(creator.name))),
            ("Action", .string("kms:*")),
            ("Resource", .string("*")),
        ])
        let document = JSONObject(members: [
            ("Version", .string(PolicyDocumentParser.version)),
            ("Statement", .array([.object(statement)])),
        ])
        return JSONValue.object(document).prettyPrinted
    }
}
