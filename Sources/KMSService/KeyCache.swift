import KMSCore
import KMSCrypto
import KMSPolicy
import KMSStorage
import Synchronization

/// A key as the service uses it: stored record, compiled policy and unwrapped versions.
struct CachedKey: Sendable {
    var stored: StoredKey
    var policy: CompiledPolicy
    var materials: [KeyVersion: KeyMaterial] = [:]

    var metadata: KeyMetadata { stored.metadata }
    var id: KeyID { stored.metadata.keyID }
}

/// Keeps recently used keys in memory so the hot path (Encrypt, Decrypt,
/// GenerateDataKey) reads no database once a key is warm. Any change to a key
/// invalidates its entry; unwrapped material is released with the entry.
final class KeyCache: Sendable {
    private let entries = Mutex<[KeyID: CachedKey]>([:])
    private let capacity: Int

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    func get(_ id: KeyID) -> CachedKey? {
        entries.withLock { $0[id] }
    }

    func put(_ key: CachedKey) {
        entries.withLock { entries in
            if entries.count >= capacity, entries[key.id] == nil, let victim = entries.keys.first {
                entries[victim] = nil
            }
            entries[key.id] = key
        }
    }

    /// Adds an unwrapped version to an entry that is still cached.
    func addMaterial(_ material: KeyMaterial, version: KeyVersion, to id: KeyID) {
        entries.withLock { $0[id]?.materials[version] = material }
    }

    func invalidate(_ id: KeyID) {
        _ = entries.withLock { $0.removeValue(forKey: id) }
    }
}
