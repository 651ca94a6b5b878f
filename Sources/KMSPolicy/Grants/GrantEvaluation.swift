import KMSCore

/// How one grant of the key fared against a request, for an "explain access" answer.
public struct GrantEvaluation: Sendable, Equatable {
    /// The grant's id.
    public let grantID: String
    /// The grant's name, if it has one.
    public let name: String?
    /// Why the grant does not apply; `nil` when it does.
    public let mismatch: GrantMismatch?
    /// One line saying why the grant applies or not, e.g.
    /// `kms:Encrypt is not granted (the grant allows kms:Decrypt)`.
    public let reason: String

    /// Whether the grant allows the request (a Deny statement still wins over it).
    public var applies: Bool { mismatch == nil }
}

/// The first reason a grant of the key does not allow a request, checked in this order.
public enum GrantMismatch: Sendable, Equatable {
    /// The grant is for another principal (its grantee is given).
    case otherGrantee(Principal)
    /// The grant does not list the requested action.
    case operationNotGranted
    /// The request's encryption context is outside the grant's constraints.
    case contextOutsideConstraints(ConstraintViolation)
}

/// One encryption-context pair that puts a request outside a grant's constraints.
public struct ConstraintViolation: Sendable, Equatable, CustomStringConvertible {
    /// The constraint a request's context must meet.
    public enum Constraint: String, Sendable, Equatable {
        /// The context must be exactly the listed pairs.
        case equals = "encryption_context_equals"
        /// The context must contain the listed pairs.
        case subset = "encryption_context_subset"
    }

    /// The constraint that fails.
    public let constraint: Constraint
    /// The context key of the offending pair.
    public let key: String
    /// The value the constraint requires for `key`; `nil` when `encryption_context_equals`
    /// does not list `key` at all.
    public let required: String?
    /// The request's value for `key`; `nil` when the request's context lacks `key`.
    public let actual: String?

    /// Creates a violation.
    public init(constraint: Constraint, key: String, required: String?, actual: String?) {
        self.constraint = constraint
        self.key = key
        self.required = required
        self.actual = actual
    }

    /// `encryption_context_subset requires "tenant"="acme"; the request has "tenant"="globex"`.
    public var description: String {
        let has = actual.map { "the request has \(quoted(key))=\(quoted($0))" } ?? "the request lacks \(quoted(key))"
        guard let required else { return "\(constraint.rawValue) does not list \(quoted(key)); \(has)" }
        return "\(constraint.rawValue) requires \(quoted(key))=\(quoted(required)); \(has)"
    }
}
