import Foundation
import KMSCore
import KMSCrypto
import KMSPolicy
import KMSStorage
import Logging
import Metrics

/// The key management operations, independent of any transport.
///
/// Each operation takes the caller's `RequestContext` and a domain request, and either
/// returns a domain result or throws a `KMSError` whose message is safe to show the
/// caller. The order of checks is the same everywhere: validate the request, load the
/// key (`KEY_NOT_FOUND`), authorize (`ACCESS_DENIED`), check state and usage, then
/// do the cryptography.
///
/// Every `key_id` field accepts a key id or an alias (`alias/NAME`); results always carry
/// the real key id, and the alias used is the request alias of policy conditions
/// (`kms:RequestAlias`).
public final class KeyManagementService: Sendable {
    let store: any KeyStore
    let rootKey: RootKey
    let serverPolicy: CompiledPolicy?
    let cache = KeyCache()
    let aliasCache = AliasCache()
    let clock: @Sendable () -> Date
    let logger: Logger
    /// Whether this node's caches are known current; checked before serving from them.
    public let freshness: StoreFreshness
    /// `kms_key_cache_hits_total`, `kms_key_cache_misses_total`, `kms_store_errors_total`.
    let cacheHits = Counter(label: "kms_key_cache_hits_total")
    let cacheMisses = Counter(label: "kms_key_cache_misses_total")
    let storeErrors = Counter(label: "kms_store_errors_total")

    /// - Parameters:
    ///   - store: Where keys live, with material wrapped under `rootKey`.
    ///   - rootKey: The key that wraps every key version's material.
    ///   - serverPolicy: The server-wide policy; `nil` allows nothing server-wide.
    ///   - clock: The current time; tests inject their own.
    ///   - maxStaleness: For a shared store, how long a change made through another node may
    ///     take to be in force here; `followChanges(every:)` must run to keep the node fresh.
    public init(
        store: any KeyStore,
        rootKey: RootKey,
        serverPolicy: CompiledPolicy?,
        clock: @escaping @Sendable () -> Date = { Date() },
        maxStaleness: Duration = .seconds(1),
        logger: Logger = Logger(label: "kms.service")
    ) {
        self.freshness = StoreFreshness(maxStaleness: store.isShared ? maxStaleness : nil)
        self.store = store
        self.rootKey = rootKey
        self.serverPolicy = serverPolicy
        self.clock = clock
        self.logger = logger
    }

    /// Runs a storage call, turning unexpected failures into `.internalFailure`
    /// (logged here, never shown to the caller), or `.storeUnavailable` while this node
    /// cannot confirm it is current with a shared store (the database is unreachable).
    func storage<T: Sendable>(_ operation: String, _ body: @Sendable () async throws -> T) async throws(KMSError) -> T {
        // A node that is not current refuses at once instead of waiting on a database that
        // may be unreachable, and a call that is waiting when the node stops being current
        // gives up then.
        try freshness.requireFresh()
        do {
            return try await freshness.whileFresh(body)
        } catch let error as KMSError {
            if error.code == .internalFailure {
                storeErrors.increment()
            }
            if error.code == .internalFailure, !freshness.isFresh {
                logger.error("storage failure", metadata: ["operation": "\(operation)", "error": "\(error)"])
                throw KMSError(.storeUnavailable, "the key store cannot be reached; retry")
            }
            throw error
        } catch {
            storeErrors.increment()
            logger.error("storage failure", metadata: ["operation": "\(operation)", "error": "\(error)"])
            throw KMSError(.internalFailure, "the key store failed; see the server log")
        }
    }

    /// Runs a storage call that changes stored state, once the request's intent audit
    /// record is durable: a change is never committed without a record of it.
    ///
    /// - Throws: `.auditUnavailable` when the intent cannot be recorded (nothing is changed
    ///   then), or what `storage` throws.
    func commit<T: Sendable>(_ operation: String, context: RequestContext, _ body: @Sendable () async throws -> T) async throws(KMSError) -> T {
        try await context.audit.recordIntent()
        return try await storage(operation, body)
    }

    /// Runs a read-decide-write step until its compare-and-swap write lands: `attempt`
    /// reads what it needs (from the store, not a cache), authorizes and checks, and returns
    /// the write's result, `false` when the state it read changed before the write. Each
    /// retry sees the latest state, so a call that lost a race ends as it would have had it
    /// arrived second.
    ///
    /// - Throws: what `attempt` throws; `.invalidState` when concurrent changes kept
    ///   winning for every attempt.
    func retryingOnConflict(_ what: String, _ attempt: () async throws(KMSError) -> Bool) async throws(KMSError) {
        for _ in 0..<Self.conflictAttempts {
            if try await attempt() { return }
        }
        throw KMSError(.invalidState, "\(what) changed concurrently while this request was tried; try again")
    }

    /// How often `retryingOnConflict` tries a step.
    static let conflictAttempts = 5

    /// Loads a key with its live grants, from the cache when warm.
    ///
    /// - Throws: `.keyNotFound` when no key has that id.
    func loadKey(_ id: KeyID) async throws(KMSError) -> CachedKey {
        try freshness.requireFresh()
        if let cached = cache.get(id) {
            cacheHits.increment()
            return cached
        }
        cacheMisses.increment()
        let token = cache.readToken()
        guard let stored = try await storage("load key", { try await store.key(id) }) else {
            throw KMSError(.keyNotFound, "key \(id) does not exist")
        }
        let policy: CompiledPolicy
        do {
            policy = try CompiledPolicy.compile(stored.policy)
        } catch {
            logger.error("stored key policy does not compile", metadata: ["key_id": "\(id)", "error": "\(error)"])
            throw KMSError(.internalFailure, "the policy stored for key \(id) is unreadable; see the server log")
        }
        let grants = try await storage("load grants") { try await store.grants(of: id) }
        let key = CachedKey(stored: stored, policy: policy, grants: grants)
        cache.put(key, readAt: token)
        return key
    }

    /// Drops a key from the cache and reads it again from the store: for changes that
    /// must see the latest version and state, and for results that report them.
    ///
    /// - Throws: `.keyNotFound` when no key has that id.
    func reloadKey(_ id: KeyID) async throws(KMSError) -> CachedKey {
        cache.invalidate(id)
        return try await loadKey(id)
    }

    /// The unwrapped material of one enabled version of a key. Only enabled versions are
    /// cached, and disabling a version invalidates the key's entry.
    ///
    /// - Throws: `.keyVersionDisabled` when the version is disabled; `.internalFailure`
    ///   when it is missing or does not unwrap.
    func material(of key: CachedKey, version: KeyVersion) async throws(KMSError) -> VersionMaterial {
        if let material = key.materials[version] ?? cache.get(key.id)?.materials[version] {
            return material
        }
        let token = cache.readToken()
        guard let wrapped = try await storage("load key version", { try await store.keyVersion(key.id, version: version) }) else {
            throw KMSError(.internalFailure, "version \(version) of key \(key.id) is missing")
        }
        guard wrapped.isEnabled else {
            throw KMSError(.keyVersionDisabled, "version \(version) of key \(key.id) is disabled")
        }
        let material = try rootKey.unwrap(wrapped.wrappedMaterial, spec: key.metadata.keySpec, keyID: key.id, version: version)
        cache.addMaterial(material, version: version, to: key.id, readAt: token)
        return material
    }
}
