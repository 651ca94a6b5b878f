import KMSCore

/// Durable storage for keys: metadata, policy, tags and each version's wrapped key material.
///
/// A key store holds key material only as opaque bytes wrapped (encrypted) under the root key;
/// it never sees a plaintext key. Every implementation passes the same conformance test suite.
/// Every error a store throws is a `KMSError`: `.keyNotFound` and `.validation` for the
/// caller's mistakes named below, `.internalFailure` when the database fails or the store is
/// closed. Error messages never contain bound values such as wrapped material.
public protocol KeyStore: Sendable {
    /// Stores a new key together with its tags and its first version, in one transaction:
    /// either all of it is stored or none of it.
    ///
    /// - Parameters:
    ///   - key: The key; `key.metadata.currentVersion` must equal `firstVersion.version`.
    ///   - firstVersion: The key's first version; its `keyID` must equal the key's.
    /// - Throws: `KMSError` `.validation` when a key with that id already exists, when the
    ///   version does not belong to the key, or when a text field contains a NUL character;
    ///   `.internalFailure` when the database fails.
    func createKey(_ key: StoredKey, firstVersion: WrappedKeyVersion) async throws(KMSError)

    /// Reads one key.
    ///
    /// - Returns: The key, or `nil` when no key has that id.
    /// - Throws: `KMSError` `.internalFailure` when the database fails.
    func key(_ id: KeyID) async throws(KMSError) -> StoredKey?

    /// Lists keys in ascending order of their id's text form (`KeyID.description`).
    ///
    /// - Parameters:
    ///   - after: An exclusive cursor: only keys whose id sorts after it are listed; `nil`
    ///     starts at the first key. Pass the last id of one page to get the next page.
    ///   - limit: The most keys to return; at least 1.
    /// - Returns: At most `limit` keys; fewer only when no more keys follow.
    /// - Throws: `KMSError` `.validation` when `limit` is less than 1, `.internalFailure`
    ///   when the database fails.
    func listKeys(after: KeyID?, limit: Int) async throws(KMSError) -> [StoredKey]

    /// Reads one version of a key.
    ///
    /// - Returns: The version, or `nil` when the key or that version of it does not exist.
    /// - Throws: `KMSError` `.internalFailure` when the database fails.
    func keyVersion(_ id: KeyID, version: KeyVersion) async throws(KMSError) -> WrappedKeyVersion?

    /// Replaces a key's policy document.
    ///
    /// - Throws: `KMSError` `.keyNotFound` when no key has that id, `.validation` when the
    ///   policy contains a NUL character, `.internalFailure` when the database fails.
    func updatePolicy(_ id: KeyID, policy: String) async throws(KMSError)

    /// Reads the root key verifier: bytes that let the server check at start-up that it was
    /// given the same root key the stored material was wrapped under.
    ///
    /// - Returns: The verifier, or `nil` when none was set yet.
    /// - Throws: `KMSError` `.internalFailure` when the database fails.
    func rootKeyVerifier() async throws(KMSError) -> [UInt8]?

    /// Sets the root key verifier. It can be set once; it never changes after that.
    ///
    /// - Throws: `KMSError` `.validation` when a verifier is already set or `verifier` is
    ///   empty, `.internalFailure` when the database fails.
    func setRootKeyVerifier(_ verifier: [UInt8]) async throws(KMSError)

    /// Closes the store after the calls in progress have finished. Every later call
    /// (except `close`, which does nothing then) throws.
    ///
    /// - Throws: `KMSError` `.internalFailure` when the database fails to close.
    func close() async throws(KMSError)
}
