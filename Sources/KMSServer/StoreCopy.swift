import Foundation
import KMSCore
import KMSStorage
import Logging

/// `kmsd store copy`: moves every key, version (still wrapped: nothing is re-encrypted and
/// the root key stays the same), policy, tag, alias, grant and rotation schedule from one
/// store to an empty other one (SQLite to PostgreSQL, or back), then reads both again and
/// checks that the copy holds exactly what the source holds.
public enum StoreCopy {
    /// What a copy moved.
    public struct Report: Sendable, Equatable, CustomStringConvertible {
        public var keys = 0
        public var versions = 0
        public var aliases = 0
        public var grants = 0

        public var description: String {
            "\(keys) keys, \(versions) key versions, \(aliases) aliases and \(grants) grants"
        }
    }

    /// Page size of the reads.
    static let pageSize = 500

    /// Copies the store of `source` into the store of `target`, which must be empty. Both
    /// stores must be served by no `kmsd` meanwhile (stop the servers first).
    ///
    /// - Throws: `StartupError` saying what is wrong (a non-empty target, a source without a
    ///   root key check value, a difference found by the verification), or the store's error.
    public static func run(from source: ServerConfiguration, to target: ServerConfiguration, logger: Logger) async throws -> Report {
        // An embedded store must not be served meanwhile: take its data_dir lock as kmsd does.
        let locks = try [source, target].filter { $0.storage == .sqlite }.map { configuration in
            try DataDirectoryLock.acquire(dataDirectory: configuration.dataDirectory)
        }
        defer { locks.forEach { $0.release() } }
        let from = try await ConfiguredKeyStore.open(source, logger: logger)
        let to: any KeyStore
        do {
            to = try await ConfiguredKeyStore.open(target, logger: logger)
        } catch {
            try? await from.close()
            throw error
        }
        do {
            let report = try await copy(from: from, to: to, targetName: ConfiguredKeyStore.location(target))
            try await verify(from: from, to: to)
            try await from.close()
            try await to.close()
            return report
        } catch {
            try? await from.close()
            try? await to.close()
            throw error
        }
    }

    /// Copies every object of `from` into the empty `to`.
    static func copy(from: any KeyStore, to: any KeyStore, targetName: String) async throws -> Report {
        guard try await to.listKeys(after: nil, limit: 1).isEmpty,
              try await to.listAliases(targetKeyID: nil, after: nil, limit: 1).isEmpty,
              try await to.rootKeyVerifier() == nil
        else {
            throw StartupError("the target store \(targetName) is not empty; store copy writes only into an empty store")
        }
        guard let verifier = try await from.rootKeyVerifier() else {
            throw StartupError("the source store has no root key check value; start kmsd on it once first")
        }
        var report = Report()
        for key in try await allKeys(of: from) {
            let versions = try await allVersions(of: key.metadata.keyID, in: from)
            let grants = try await from.grants(of: key.metadata.keyID)
            try await to.importKey(key, versions: versions, grants: grants)
            report.keys += 1
            report.versions += versions.count
            report.grants += grants.count
        }
        var after: String?
        while true {
            let page = try await from.listAliases(targetKeyID: nil, after: after, limit: pageSize)
            for alias in page { try await to.createAlias(alias) }
            report.aliases += page.count
            guard page.count == pageSize, let last = page.last else { break }
            after = last.name
        }
        try await to.setRootKeyVerifier(verifier)
        return report
    }

    /// Reads both stores again and checks that they hold the same objects.
    ///
    /// - Throws: `StartupError` naming the first difference.
    static func verify(from: any KeyStore, to: any KeyStore) async throws {
        let sourceKeys = try await allKeys(of: from)
        for key in sourceKeys {
            let id = key.metadata.keyID
            let sameKey = try await to.key(id) == key
            let sameVersions = try await allVersions(of: id, in: to) == allVersions(of: id, in: from)
            let sameGrants = try await to.grants(of: id) == from.grants(of: id)
            let sameAliases = try await to.listAliases(targetKeyID: id, after: nil, limit: pageSize)
                == from.listAliases(targetKeyID: id, after: nil, limit: pageSize)
            guard sameKey, sameVersions, sameGrants, sameAliases else {
                throw StartupError("verification failed: key \(id) differs between the stores after the copy")
            }
        }
        let targetKeys = try await allKeys(of: to).count
        let sameVerifier = try await to.rootKeyVerifier() == from.rootKeyVerifier()
        guard sourceKeys.count == targetKeys, sameVerifier else {
            throw StartupError("verification failed: the stores hold \(sourceKeys.count) and \(targetKeys) keys")
        }
    }

    /// Every key of a store, page by page.
    private static func allKeys(of store: any KeyStore) async throws -> [StoredKey] {
        var keys: [StoredKey] = []
        while true {
            let page = try await store.listKeys(after: keys.last?.metadata.keyID, limit: pageSize)
            keys += page
            if page.count < pageSize { return keys }
        }
    }

    private static func allVersions(of id: KeyID, in store: any KeyStore) async throws -> [WrappedKeyVersion] {
        var versions: [WrappedKeyVersion] = []
        while true {
            let page = try await store.listVersions(id, after: versions.last?.version, limit: pageSize)
            versions += page
            if page.count < pageSize { return versions }
        }
    }
}
