import Foundation
import KMSCore
import KMSCrypto
import KMSPolicy
import KMSService
import KMSStorage
import KMSStorageSQLite
import Logging

/// A `KeyManagementService` over a real SQLite file in a fresh temporary directory.
final class ServiceFixture: Sendable {
    static let admin = RequestContext(principal: Principal("spiffe://test.example/admin"))
    static let alice = RequestContext(principal: Principal("spiffe://test.example/ns/app/alice"))
    static let mallory = RequestContext(principal: Principal("CN=mallory,O=Elsewhere"))

    /// The admin may create, list keys and retirable grants, generate random and explain
    /// access; nothing else server-wide.
    static let serverPolicy = """
    {"Version": "2012-10-17", "Statement": [
      {"Sid": "Admin", "Effect": "Allow", "Principal": "spiffe://test.example/admin",
       "Action": ["kms:CreateKey", "kms:ListKeys", "kms:GenerateRandom", "kms:ListRetirableGrants", "kms:ExplainAccess"],
       "Resource": "*"},
      {"Sid": "AppsCreate", "Effect": "Allow", "Principal": "spiffe://test.example/ns/*",
       "Action": "kms:CreateKey", "Resource": "*"}
    ]}
    """

    let directory: URL
    let rootKey: RootKey
    let store: SQLiteKeyStore
    let service: KeyManagementService
    /// The service's clock; tests move it instead of sleeping.
    let clock: TestClock

    init(directory: URL? = nil, rootKey: RootKey? = nil, clock: TestClock = TestClock()) async throws {
        let directory = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("kms-service-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.directory = directory
        self.rootKey = try rootKey ?? SecretBytes.random(count: 32).withUnsafeBytes { try RootKey(bytes: Array($0)) }
        self.store = try await SQLiteKeyStore.open(path: directory.appendingPathComponent("kms.sqlite").path, logger: Logger(label: "test"))
        self.clock = clock
        self.service = KeyManagementService(
            store: store,
            rootKey: self.rootKey,
            serverPolicy: try CompiledPolicy.compile(Self.serverPolicy),
            clock: { clock.now }
        )
    }

    /// Closes the store and opens a new service on the same files, root key and clock.
    func restarted() async throws -> ServiceFixture {
        try await store.close()
        return try await ServiceFixture(directory: directory, rootKey: rootKey, clock: clock)
    }

    /// A second service over the same store, root key and clock, with its own caches: a
    /// second server node sharing the database.
    func secondNode() throws -> KeyManagementService {
        let clock = clock
        return KeyManagementService(
            store: store, rootKey: rootKey, serverPolicy: try CompiledPolicy.compile(Self.serverPolicy), clock: { clock.now }
        )
    }

    func close() async {
        try? await store.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// A key created by the admin with the given policy (default policy when empty).
    func createKey(policy: String = "", by caller: RequestContext = ServiceFixture.admin) async throws -> KeyID {
        try await service.createKey(CreateKeyRequest(description: "test key", policy: policy), context: caller).keyID
    }

    /// The bytes of every file in the data directory, concatenated.
    func allFileBytes() throws -> Data {
        var all = Data()
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            all.append(try Data(contentsOf: directory.appendingPathComponent(name)))
        }
        return all
    }
}

/// Runs `body` against a fresh fixture and always cleans up.
func withService(_ body: (ServiceFixture) async throws -> Void) async throws {
    let fixture = try await ServiceFixture()
    do {
        try await body(fixture)
    } catch {
        await fixture.close()
        throw error
    }
    await fixture.close()
}

/// The code of the `KMSError` that `body` throws, or `nil` when it succeeds.
func errorCode(_ body: () async throws -> some Any) async -> KMSError.Code? {
    do {
        _ = try await body()
        return nil
    } catch let error as KMSError {
        return error.code
    } catch {
        return .internalFailure
    }
}

extension SecretBytes {
    init(_ text: String) {
        self.init(copying: Array(text.utf8))
    }

    var bytes: [UInt8] { withUnsafeBytes { Array($0) } }
}
