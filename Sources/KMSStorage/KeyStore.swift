import Foundation
import KMSCore

/// Durable storage for keys (metadata, policy, tags and each version's wrapped key
/// material), for the aliases that point at them and for the grants on them.
///
/// A key store holds key material only as opaque bytes wrapped (encrypted) under the root key;
/// it never sees a plaintext key. Every implementation passes the same conformance test suite.
/// Every error a store throws is a `KMSError`: `.keyNotFound`, `.keyVersionNotFound`,
/// `.aliasNotFound`, `.alreadyExists`, `.invalidState`, `.limitExceeded` and `.validation`
/// for the caller's mistakes named below, `.internalFailure` when the database fails or the
/// store is closed. Error messages never contain bound values such as wrapped material.
///
/// Every call that changes something runs in one transaction, so several servers sharing one
/// database see each change whole.
///
/// **Conditional writes.** A write that is only legal in some states checks that state
/// inside its own transaction and says what it expects, never trusting what the caller read
/// earlier (the caller may hold a cached copy, and another server may have changed the key
/// since): `setKeyEnabled`, `scheduleDeletion`, `cancelDeletion`, `setRotation`,
/// `setVersionEnabled`, `createGrant` and `destroyKey` check the key's state; `addVersion`
/// the current version; `updatePolicy` the policy the caller authorized against;
/// `updateAlias` and `deleteAlias` the key the alias pointed at. A write that loses a race
/// therefore either throws the error the losing call would have got had it arrived second
/// (for example `.keyPendingDeletion` for an enable that lost to a scheduled deletion) or,
/// for the compare-and-swap calls, returns `false` so the caller can read again, decide
/// again and retry. Every backend passes the same conformance checks of this contract.
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

    /// Stores a key exactly as another store holds it, for `kmsd store copy`: its metadata
    /// (state, dates, rotation schedule), tags, every version still stored (wrapped as given;
    /// none for a destroyed key) and its grants, in one transaction. No state rule applies:
    /// the source store already enforced them.
    ///
    /// - Throws: `KMSError` `.validation` when a key with that id exists, a version or grant
    ///   belongs to another key, or a text field contains a NUL character (nothing is stored
    ///   then); `.internalFailure` when the database fails.
    func importKey(_ key: StoredKey, versions: [WrappedKeyVersion], grants: [Grant]) async throws(KMSError)

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

    /// Replaces a key's policy document by compare-and-swap: only while the stored policy is
    /// still `expected` (the one the caller authorized the change against).
    ///
    /// - Returns: Whether the policy was replaced; `false` (nothing changes) when the stored
    ///   policy is no longer `expected`.
    /// - Throws: `KMSError` `.keyNotFound` when no key has that id, `.validation` when the
    ///   policy contains a NUL character, `.internalFailure` when the database fails.
    func updatePolicy(_ id: KeyID, policy: String, expected: String) async throws(KMSError) -> Bool

    /// Moves a key between `enabled` and `disabled`, checking its state in the same
    /// transaction.
    ///
    /// - Returns: Whether the state changed; `false` when the key already was in that state.
    /// - Throws: `KMSError` `.keyNotFound` when no key has that id, `.keyPendingDeletion`
    ///   when it is pending deletion, `.keyDestroyed` when it was destroyed (nothing changes
    ///   then), `.internalFailure` when the database fails.
    func setKeyEnabled(_ id: KeyID, enabled: Bool) async throws(KMSError) -> Bool

    /// Replaces a key's description.
    ///
    /// - Throws: `KMSError` `.keyNotFound` when no key has that id, `.validation` when the
    ///   description contains a NUL character, `.internalFailure` when the database fails.
    func updateDescription(_ id: KeyID, description: String) async throws(KMSError)

    /// Adds or replaces tags atomically: each given tag key gets the given value, and the
    /// key's other tags stay as they are.
    ///
    /// - Parameters:
    ///   - tags: Tag key to tag value; may be empty.
    ///   - maxTags: The most tags the key may have afterwards.
    /// - Throws: `KMSError` `.keyNotFound` when no key has that id, `.limitExceeded` when
    ///   the key would end with more than `maxTags` tags, `.validation` when a tag key or
    ///   value contains a NUL character (nothing is changed then), `.internalFailure` when
    ///   the database fails.
    func tagKey(_ id: KeyID, tags: [String: String], maxTags: Int) async throws(KMSError)

    /// Removes tags from a key atomically. Tag keys the key does not have are ignored.
    ///
    /// - Throws: `KMSError` `.keyNotFound` when no key has that id, `.internalFailure` when
    ///   the database fails.
    func untagKey(_ id: KeyID, tagKeys: [String]) async throws(KMSError)

    /// Stores a new alias. Names are case-sensitive: `alias/A` and `alias/a` are two aliases.
    ///
    /// - Throws: `KMSError` `.alreadyExists` when an alias has that name, `.keyNotFound`
    ///   when no key has the target id, `.validation` when the name is empty or contains a
    ///   NUL character, `.internalFailure` when the database fails.
    func createAlias(_ alias: StoredAlias) async throws(KMSError)

    /// Points an existing alias at another key (or the same one), by compare-and-swap: only
    /// while it still points at `expectedTarget` (the key the caller authorized against).
    ///
    /// - Returns: Whether the alias was updated; `false` (nothing changes) when it now points
    ///   at another key.
    /// - Throws: `KMSError` `.aliasNotFound` when no alias has that name, `.keyNotFound`
    ///   when no key has the new target id (the alias is unchanged then),
    ///   `.internalFailure` when the database fails.
    func updateAlias(_ alias: StoredAlias, expectedTarget: KeyID) async throws(KMSError) -> Bool

    /// Deletes an alias, by compare-and-swap: only while it still points at `expectedTarget`.
    /// The key it pointed at is unchanged.
    ///
    /// - Returns: Whether the alias was deleted; `false` (nothing changes) when it now points
    ///   at another key.
    /// - Throws: `KMSError` `.aliasNotFound` when no alias has that name,
    ///   `.internalFailure` when the database fails.
    func deleteAlias(named name: String, expectedTarget: KeyID) async throws(KMSError) -> Bool

    /// Reads one alias.
    ///
    /// - Returns: The alias, or `nil` when no alias has that name.
    /// - Throws: `KMSError` `.internalFailure` when the database fails.
    func alias(named name: String) async throws(KMSError) -> StoredAlias?

    /// Lists aliases in ascending byte order of their UTF-8 names.
    ///
    /// - Parameters:
    ///   - targetKeyID: Lists only the aliases that point at this key; `nil` lists all.
    ///     A key that does not exist has no aliases.
    ///   - after: An exclusive cursor: only aliases whose name sorts after it are listed;
    ///     `nil` starts at the first alias. Pass the last name of one page to get the next.
    ///   - limit: The most aliases to return; at least 1.
    /// - Returns: At most `limit` aliases; fewer only when no more aliases follow.
    /// - Throws: `KMSError` `.validation` when `limit` is less than 1, `.internalFailure`
    ///   when the database fails.
    func listAliases(targetKeyID: KeyID?, after name: String?, limit: Int) async throws(KMSError) -> [StoredAlias]

    /// Moves an enabled or disabled key to `pendingDeletion`, to be destroyed at `deletionDate`.
    ///
    /// - Throws: `KMSError` `.keyNotFound` when no key has that id, `.invalidState` when the
    ///   key is pending deletion or destroyed (nothing changes then), `.validation` when the
    ///   date is out of range, `.internalFailure` when the database fails.
    func scheduleDeletion(_ id: KeyID, deletionDate: Date) async throws(KMSError)

    /// Moves a key pending deletion back to `disabled` and clears its deletion date.
    ///
    /// - Throws: `KMSError` `.keyNotFound` when no key has that id, `.invalidState` when the
    ///   key is not pending deletion (nothing changes then), `.internalFailure` when the
    ///   database fails.
    func cancelDeletion(_ id: KeyID) async throws(KMSError)

    /// Sets a key's automatic rotation schedule, or disables automatic rotation with `nil`.
    /// A schedule can be set only on an enabled or disabled key (checked in the same
    /// transaction); disabling works in every state.
    ///
    /// - Throws: `KMSError` `.keyNotFound` when no key has that id, `.invalidState` when a
    ///   schedule is given and the key is pending deletion or destroyed (nothing changes
    ///   then), `.validation` when the period is less than 1 day or the date is out of range,
    ///   `.internalFailure` when the database fails.
    func setRotation(_ id: KeyID, _ schedule: RotationSchedule?) async throws(KMSError)

    /// Rotates a key by compare-and-swap: adds `newVersion` and makes it the key's current
    /// version, but only while the key is still as the caller saw it.
    ///
    /// The swap happens when the key is enabled, its current version is `expectedCurrent`
    /// and, when `dueBy` is given, automatic rotation is enabled with a next rotation date at
    /// or before `dueBy`. It then also replaces the rotation schedule with `nextSchedule`
    /// (kept when `nil`). Otherwise nothing changes: of several servers that try the same
    /// rotation at once, exactly one succeeds. A key that is not enabled never gains a version,
    /// so destroyed material cannot come back.
    ///
    /// - Parameters:
    ///   - newVersion: The version to add; its number must be `expectedCurrent + 1` and it
    ///     must be enabled. Its `keyID` names the key.
    ///   - expectedCurrent: The current version the caller read.
    ///   - dueBy: For the rotation job: rotate only when a rotation is due by this date.
    ///   - nextSchedule: The schedule after the rotation; `nil` keeps the current one.
    /// - Returns: Whether the version was added.
    /// - Throws: `KMSError` `.keyNotFound` when no key has that id, `.validation` when the
    ///   version number is not `expectedCurrent + 1`, the version is disabled or a value is
    ///   out of range, `.internalFailure` when the database fails.
    func addVersion(
        _ newVersion: WrappedKeyVersion, expectedCurrent: KeyVersion, dueBy: Date?, nextSchedule: RotationSchedule?
    ) async throws(KMSError) -> Bool

    /// Lists enabled keys whose automatic rotation is due: next rotation date at or before
    /// `now`, the longest overdue first.
    ///
    /// - Parameter limit: The most ids to return; at least 1.
    /// - Throws: `KMSError` `.validation` when `limit` is less than 1 or `now` is out of
    ///   range, `.internalFailure` when the database fails.
    func keysDueForRotation(now: Date, limit: Int) async throws(KMSError) -> [KeyID]

    /// Lists keys pending deletion whose deletion date is at or before `now`, the longest
    /// overdue first.
    ///
    /// - Parameter limit: The most ids to return; at least 1.
    /// - Throws: `KMSError` `.validation` when `limit` is less than 1 or `now` is out of
    ///   range, `.internalFailure` when the database fails.
    func keysDueForDeletion(now: Date, limit: Int) async throws(KMSError) -> [KeyID]

    /// Destroys a key whose deletion is due: deletes every version's wrapped material for
    /// good and sets the state to `destroyed`, keeping the metadata (deletion date included),
    /// policy, tags and aliases.
    ///
    /// No copy of the material may stay in the store's files or logs once this returns.
    ///
    /// - Returns: Whether the key was destroyed; `false` (and nothing changes) when it is not
    ///   pending deletion or its deletion date is after `now`.
    /// - Throws: `KMSError` `.keyNotFound` when no key has that id, `.validation` when `now`
    ///   is out of range, `.internalFailure` when the database fails.
    func destroyKey(_ id: KeyID, now: Date) async throws(KMSError) -> Bool

    /// Lists a key's versions in ascending version order.
    ///
    /// - Parameters:
    ///   - after: An exclusive cursor: only versions above it are listed; `nil` starts at
    ///     the first version. Pass the last version of one page to get the next page.
    ///   - limit: The most versions to return; at least 1.
    /// - Returns: At most `limit` versions; fewer only when no more follow. A destroyed key
    ///   has none.
    /// - Throws: `KMSError` `.keyNotFound` when no key has that id, `.validation` when
    ///   `limit` is less than 1, `.internalFailure` when the database fails.
    func listVersions(_ id: KeyID, after: KeyVersion?, limit: Int) async throws(KMSError) -> [WrappedKeyVersion]

    /// Enables or disables one version of a key. Doing what is already done succeeds.
    ///
    /// - Throws: `KMSError` `.keyNotFound` when no key has that id, `.keyDestroyed` when the
    ///   key was destroyed, `.keyVersionNotFound` when the key has no such version,
    ///   `.invalidState` when asked to disable the key's current version (each checked in the
    ///   same transaction as the write), `.internalFailure` when the database fails.
    func setVersionEnabled(_ id: KeyID, version: KeyVersion, enabled: Bool) async throws(KMSError)

    /// Stores a new grant on an existing enabled or disabled key.
    ///
    /// The grant is stored exactly as given: its id, token, operations (in their order) and
    /// constraints come back unchanged. Grants are deleted together with their key.
    ///
    /// - Throws: `KMSError` `.keyNotFound` when no key has `grant.keyID`,
    ///   `.keyPendingDeletion` or `.keyDestroyed` for a key in those states (checked in the
    ///   same transaction as the insert), `.alreadyExists`
    ///   when a grant has that id or that token, `.limitExceeded` when the key already has
    ///   `Limits.maxGrantsPerKey` grants, `.validation` when a text field contains a NUL
    ///   character or the date is out of range (nothing is stored then), `.internalFailure`
    ///   when the database fails.
    func createGrant(_ grant: Grant) async throws(KMSError)

    /// Reads every live (not retired or revoked) grant of a key, in creation order. A
    /// destroyed key keeps its grants; a key that does not exist has none.
    ///
    /// - Throws: `KMSError` `.internalFailure` when the database fails.
    func grants(of keyID: KeyID) async throws(KMSError) -> [Grant]

    /// Reads the grant with that id.
    ///
    /// - Returns: The grant, or `nil` when no grant has that id.
    /// - Throws: `KMSError` `.internalFailure` when the database fails.
    func grant(id: String) async throws(KMSError) -> Grant?

    /// Reads the grant with that token.
    ///
    /// - Returns: The grant, or `nil` when no grant has that token.
    /// - Throws: `KMSError` `.internalFailure` when the database fails.
    func grant(token: String) async throws(KMSError) -> Grant?

    /// Reads the grants of a key that have that name, in creation order; for idempotent
    /// CreateGrant. Names are case-sensitive.
    ///
    /// - Throws: `KMSError` `.internalFailure` when the database fails.
    func grant(named name: String, keyID: KeyID) async throws(KMSError) -> [Grant]

    /// Deletes a grant (retire or revoke).
    ///
    /// - Returns: Whether a grant had that id; `false` (and nothing changes) when none had.
    /// - Throws: `KMSError` `.internalFailure` when the database fails.
    func deleteGrant(id: String) async throws(KMSError) -> Bool

    /// Lists the grants of a key in ascending byte order of their UTF-8 grant ids.
    ///
    /// - Parameters:
    ///   - keyID: The key; a key that does not exist has no grants.
    ///   - grantID: Lists only the grant with this id; `nil` lists all.
    ///   - grantee: Lists only grants whose grantee is exactly this principal; `nil` lists all.
    ///   - after: An exclusive cursor: only grants whose id sorts after it are listed; `nil`
    ///     starts at the first grant. Pass the last id of one page to get the next page.
    ///   - limit: The most grants to return; at least 1.
    /// - Returns: At most `limit` grants; fewer only when no more grants follow.
    /// - Throws: `KMSError` `.validation` when `limit` is less than 1, `.internalFailure`
    ///   when the database fails.
    func listGrants(
        keyID: KeyID, grantID: String?, grantee: Principal?, after: String?, limit: Int
    ) async throws(KMSError) -> [Grant]

    /// Lists the grants, of every key, whose retiring principal is exactly
    /// `retiringPrincipal`, in ascending byte order of their UTF-8 grant ids.
    ///
    /// - Parameters:
    ///   - after: An exclusive cursor, as in `listGrants`.
    ///   - limit: The most grants to return; at least 1.
    /// - Returns: At most `limit` grants; fewer only when no more grants follow.
    /// - Throws: `KMSError` `.validation` when `limit` is less than 1, `.internalFailure`
    ///   when the database fails.
    func listRetirableGrants(retiringPrincipal: Principal, after: String?, limit: Int) async throws(KMSError) -> [Grant]

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

    /// Whether other processes may change this store: then each node must follow
    /// `changes(after:limit:)` to keep its caches current. `false` for a store that one
    /// process owns (the embedded SQLite file, locked to one `kmsd`).
    var isShared: Bool { get }

    /// The sequence number of the newest change in the change feed (0 when there is none
    /// yet): where a node that starts following the feed begins.
    ///
    /// - Throws: `KMSError` `.internalFailure` when the database fails.
    func latestChangeSequence() async throws(KMSError) -> Int64

    /// Reads the changes committed after `sequence`, in commit order: every committed write
    /// that changes a key, its versions, policy, tags, grants or an alias appears here once it
    /// is visible to reads, and never before a change that committed earlier. A store that
    /// is not shared has no feed and returns nothing.
    ///
    /// - Parameter limit: The most changes to return; at least 1.
    /// - Throws: `KMSError` `.validation` when `limit` is less than 1, `.internalFailure`
    ///   when the database fails.
    func changes(after sequence: Int64, limit: Int) async throws(KMSError) -> [StoreChange]

    /// Closes the store after the calls in progress have finished. Every later call
    /// (except `close`, which does nothing then) throws.
    ///
    /// - Throws: `KMSError` `.internalFailure` when the database fails to close.
    func close() async throws(KMSError)
}
