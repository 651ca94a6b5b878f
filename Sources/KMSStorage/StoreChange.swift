import KMSCore

/// One change committed to a shared store, as the caches of the other nodes need to hear
/// of it: the key whose record, versions, policy or grants changed, or the alias that was
/// created, moved or deleted. Carries no values; a node that hears of it reads them again.
public struct StoreChange: Sendable, Equatable {
    /// The change's position in the store's change feed: increases with commit order.
    public let sequence: Int64
    /// The key that changed, if a key did.
    public let keyID: KeyID?
    /// The alias that changed, if an alias did.
    public let alias: String?

    /// Creates a change.
    public init(sequence: Int64, keyID: KeyID?, alias: String?) {
        self.sequence = sequence
        self.keyID = keyID
        self.alias = alias
    }
}
