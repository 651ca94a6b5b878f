import Foundation
import KMSCore
import KMSCrypto
import KMSPolicy
import KMSPostgresTestSupport
@testable import KMSServer
import KMSService
import KMSStorage
import KMSStoragePostgres
import KMSStorageSQLite
import Logging
import Testing

/// `kmsd store copy`: an embedded SQLite store holding every kind of object moves to
/// PostgreSQL and back; ciphertexts made before the copy decrypt after it; a non-empty target
/// is refused.
@Suite("store copy", .enabled(if: PostgresTestServer.url != nil || PostgresTestServer.isRequired))
struct StoreCopyTests {
    static let admin = RequestContext(principal: Principal("spiffe://copy.example/admin"))
    static let serverPolicy = """
    {"Statement": [{"Effect": "Allow", "Principal": "spiffe://copy.example/admin", "Action": "kms:*", "Resource": "*"}]}
    """
    static let logger = Logger(label: "StoreCopyTests")

    /// A service over `store`, with the shared root key and a clock the test moves.
    static func service(_ store: any KeyStore, rootKey: RootKey, now: @escaping @Sendable () -> Date) throws -> KeyManagementService {
        KeyManagementService(store: store, rootKey: rootKey, serverPolicy: try CompiledPolicy.compile(serverPolicy), clock: now)
    }

    /// What the populated store holds that the test checks after each copy.
    struct Contents {
        let symmetric: KeyID
        let destroyed: KeyID
        let ciphertexts: [(blob: [UInt8], plaintext: String)]
    }

    /// Fills a store with every kind of object: keys of three specs, a key rotated twice with
    /// its first version disabled, tags, a custom policy, a rotation schedule, aliases, grants
    /// with constraints, a key pending deletion and a destroyed one.
    static func populate(_ service: KeyManagementService, clock: TestClock) async throws -> Contents {
        let admin = Self.admin
        let symmetric = try await service.createKey(CreateKeyRequest(description: "orders", tags: ["team": "payments"]), context: admin).keyID
        var ciphertexts: [(blob: [UInt8], plaintext: String)] = []
        for round in 0..<3 {
            let plaintext = "order \(round)"
            let sealed = try await service.encrypt(
                EncryptRequest(keyID: symmetric.description, plaintext: SecretBytes(copying: Array(plaintext.utf8)), encryptionContext: ["tenant": "acme"]),
                context: admin
            )
            ciphertexts.append((sealed.ciphertextBlob, plaintext))
            _ = try await service.rotateKeyOnDemand(keyID: symmetric.description, context: admin)
        }
        try await service.disableKeyVersion(keyID: symmetric.description, version: 1, context: admin)
        ciphertexts.removeFirst()
        try await service.enableKeyRotation(keyID: symmetric.description, rotationPeriodInDays: 90, context: admin)
        try await service.createAlias(name: "alias/orders", targetKeyID: symmetric.description, context: admin)
        _ = try await service.createGrant(CreateGrantRequest(
            keyID: symmetric.description, granteePrincipal: "CN=batch", operations: ["Decrypt", "DescribeKey"],
            retiringPrincipal: "CN=ops", constraints: GrantConstraints(encryptionContextSubset: ["tenant": "acme"]), name: "batch"
        ), context: admin)
        for spec in [KeySpec.eccNistP256, .hmac256] {
            let key = try await service.createKey(CreateKeyRequest(keySpec: spec, policy: serverPolicy), context: admin).keyID
            try await service.createAlias(name: "alias/\(spec.rawValue.lowercased())", targetKeyID: key.description, context: admin)
        }
        let pending = try await service.createKey(CreateKeyRequest(description: "pending"), context: admin).keyID
        _ = try await service.scheduleKeyDeletion(keyID: pending.description, pendingWindowInDays: 30, context: admin)
        let destroyed = try await service.createKey(CreateKeyRequest(description: "destroyed"), context: admin).keyID
        _ = try await service.scheduleKeyDeletion(keyID: destroyed.description, pendingWindowInDays: 7, context: admin)
        clock.advance(days: 8)
        _ = try await service.runDueWork(now: clock.now)
        return Contents(symmetric: symmetric, destroyed: destroyed, ciphertexts: ciphertexts)
    }

    /// Checks through a service over the copy that the ciphertexts decrypt and the states held
    /// (following the change feed meanwhile, as a node of a shared store does).
    static func check(_ service: KeyManagementService, _ contents: Contents) async throws {
        let following = Task { await service.followChanges(every: .milliseconds(50)) }
        defer { following.cancel() }
        while !service.freshness.isFresh { try await Task.sleep(for: .milliseconds(10)) }
        for (blob, plaintext) in contents.ciphertexts {
            let opened = try await service.decrypt(DecryptRequest(ciphertextBlob: blob, encryptionContext: ["tenant": "acme"]), context: admin)
            #expect(opened.plaintext == SecretBytes(copying: Array(plaintext.utf8)))
        }
        let metadata = try await service.describeKey(keyID: "alias/orders", context: admin)
        #expect(metadata.keyID == contents.symmetric && metadata.currentVersion == 4 && metadata.rotation?.periodInDays == 90)
        #expect(try await service.describeKey(keyID: contents.destroyed.description, context: admin).keyState == .destroyed)
    }

    @Test func aStoreMovesToPostgreSQLAndBackAndEveryCiphertextStillDecrypts() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kms-store-copy-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let rootKey = try SecretBytes.random(count: 32).withUnsafeBytes { try RootKey(bytes: Array($0)) }
        let clock = TestClock()
        let now: @Sendable () -> Date = { clock.now }

        let sqlite = try await SQLiteKeyStore.open(path: directory.appendingPathComponent("source.sqlite").path, logger: Self.logger)
        let back = try await SQLiteKeyStore.open(path: directory.appendingPathComponent("back.sqlite").path, logger: Self.logger)
        do {
            try await sqlite.setRootKeyVerifier(rootKey.makeVerifier())
            let contents = try await Self.populate(try Self.service(sqlite, rootKey: rootKey, now: now), clock: clock)
            try await PostgresTestServer.withFreshDatabase { configuration in
                let postgres = try await PostgresKeyStore.open(configuration, logger: Self.logger)
                do {
                    let report = try await StoreCopy.copy(from: sqlite, to: postgres, targetName: "postgres")
                    try await StoreCopy.verify(from: sqlite, to: postgres)
                    #expect(report == StoreCopy.Report(keys: 5, versions: 7, aliases: 3, grants: 1))
                    try await Self.check(try Self.service(postgres, rootKey: rootKey, now: now), contents)
                    // A store that holds anything is never written into.
                    await #expect(throws: StartupError.self) { try await StoreCopy.copy(from: sqlite, to: postgres, targetName: "postgres") }

                    #expect(try await StoreCopy.copy(from: postgres, to: back, targetName: "back") == report)
                    try await StoreCopy.verify(from: postgres, to: back)
                    try await StoreCopy.verify(from: sqlite, to: back)
                    try await Self.check(try Self.service(back, rootKey: rootKey, now: now), contents)
                } catch {
                    try? await postgres.close()
                    throw error
                }
                try await postgres.close()
            }
        } catch {
            try? await sqlite.close()
            try? await back.close()
            throw error
        }
        try await sqlite.close()
        try await back.close()
    }
}
