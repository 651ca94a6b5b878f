import KMSCore
import KMSCrypto
import KMSPolicy
import KMSStorage

/// A key as the service uses it: stored record, compiled policy, live grants and
/// unwrapped versions. Every grant change invalidates the entry, so authorization never
/// sees a retired or revoked grant.
struct CachedKey: Sendable {
    var stored: StoredKey
    var policy: CompiledPolicy
    var grants: [Grant] = []
    var materials: [KeyVersion: VersionMaterial] = [:]

    var metadata: KeyMetadata { stored.metadata }
    var id: KeyID { stored.metadata.keyID }
}

/// Keeps recently used keys in memory so the hot path (Encrypt, Decrypt,
/// GenerateDataKey) reads no database once a key is warm. Any change to a key
/// invalidates its entry; unwrapped material is released with the entry.
typealias KeyCache = MemoryCache<KeyID, CachedKey>

extension MemoryCache where Key == KeyID, Value == CachedKey {
    /// Caches a key under its id (see `MemoryCache.put(_:for:readAt:)`).
    func put(_ key: CachedKey, readAt token: UInt64? = nil) {
        put(key, for: key.id, readAt: token)
    }

    /// Adds an unwrapped version to an entry that is still cached, unless something was
    /// invalidated since `token` was taken (the version may have been disabled meanwhile).
    func addMaterial(_ material: VersionMaterial, version: KeyVersion, to id: KeyID, readAt token: UInt64) {
        modify(id, readAt: token) { $0.materials[version] = material }
    }
}

/// Remembers which key each alias names, so that naming a key by its alias costs no
/// database read once warm. Invalidated by this node's alias changes; another node's
/// changes are seen when the entry is next invalidated or evicted.
typealias AliasCache = MemoryCache<String, KeyID>
