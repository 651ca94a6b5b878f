import KMSCore

/// An alias as stored: a case-sensitive name that points at one key.
///
/// A key may have many aliases; an alias points at exactly one key that exists.
public struct StoredAlias: Sendable, Equatable {
    /// The alias name, exactly as given (the service stores the full `alias/...` form).
    public let name: String
    /// The key the alias points at.
    public let targetKeyID: KeyID

    /// Creates a stored alias.
    public init(name: String, targetKeyID: KeyID) {
        self.name = name
        self.targetKeyID = targetKeyID
    }
}
