import KMSStorage

/// One fresh, empty database for a key store implementation under test.
///
/// The conformance suite asks for stores through a fixture so that it can close a store and
/// open the same database again; each backend's tests provide one.
package protocol KeyStoreFixture: Sendable {
    /// Opens a store on the fixture's database. Every call opens the same database.
    func openStore() async throws -> any KeyStore
}
