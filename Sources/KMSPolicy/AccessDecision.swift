/// Which policy a statement belongs to.
public enum PolicySource: String, Sendable, Equatable, CaseIterable {
    /// The policy attached to the key the request is about.
    case key
    /// The server-wide policy from configuration.
    case server
}

/// Whether a statement allows or denies.
public enum PolicyEffect: String, Sendable, Equatable {
    case allow = "Allow"
    case deny = "Deny"
}

/// Points at one statement of one policy, for decisions, audit records and explanations.
public struct StatementReference: Sendable, Equatable, CustomStringConvertible {
    /// The policy holding the statement.
    public let policy: PolicySource
    /// The statement's 0-based position in the policy's `Statement` list.
    public let index: Int
    /// The statement's `Sid`, if it has one.
    public let sid: String?

    /// Creates a reference.
    public init(policy: PolicySource, index: Int, sid: String?) {
        self.policy = policy
        self.index = index
        self.sid = sid
    }

    /// `server policy Statement[2] (Sid "DenyOutsideVPN")`.
    public var description: String {
        "\(policy.rawValue) policy Statement[\(index)]" + (sid.map { " (Sid \(quoted($0)))" } ?? "")
    }
}

/// The outcome of evaluating a request against the key and server policies and the key's
/// grants.
public enum AccessDecision: Sendable, Equatable {
    /// A statement allows the request and none denies it.
    case allowed(by: StatementReference)
    /// No statement allows the request and none denies it, but the grant with this id does.
    case allowedByGrant(grantID: String)
    /// A statement explicitly denies the request; this wins over any Allow and any grant.
    case explicitDeny(by: StatementReference)
    /// No statement and no grant allows the request (default deny).
    case implicitDeny

    /// Whether the request may proceed: allowed by a statement or by a grant.
    public var isAllowed: Bool {
        switch self {
        case .allowed, .allowedByGrant: true
        case .explicitDeny, .implicitDeny: false
        }
    }
}
