import Foundation
import KMSClient
import KMSCore
import KMSCrypto
import KMSProto
import KMSStorage
import KMSStorageSQLite
import Logging
import Testing

/// Private and HMAC keys are stored only wrapped under the root key: no run of their bytes
/// reaches any file of the data directory, whatever SQLite writes.
@Suite struct PrivateKeyStorageTests {
    static let specs: [(Kms_V1_KeySpec, KeySpec)] = [
        (.eccNistP256, .eccNistP256), (.eccNistP521, .eccNistP521), (.ed25519, .ed25519), (.rsa2048, .rsa2048), (.hmac256, .hmac256),
    ]

    @Test func noPrivateKeyBytesInAnyFileOfTheDataDirectory() async throws {
        try await withWorld { world in
            let (keyIDs, pairPrivateKey) = try await world.server.withClient(world.app) { client in
                var keyIDs: [String] = []
                for (protoSpec, _) in Self.specs {
                    let keyID = try await client.createKey(protoSpec)
                    keyIDs.append(keyID)
                    if protoSpec == .hmac256 {
                        _ = try await client.generateMac(.with { $0.keyID = keyID; $0.message = Data([1]); $0.macAlgorithm = .hmacSha256 })
                    } else {
                        _ = try await client.getPublicKey(.with { $0.keyID = keyID })
                    }
                }
                let symmetric = try await client.createKey(.symmetricDefault)
                let pair = try await client.generateDataKeyPair(.with { $0.keyID = symmetric; $0.keyPairSpec = .eccNistP384 })
                return (keyIDs, pair.privateKeyPlaintext)
            }
            await world.server.stop()
            let secrets = try await Self.storedSecrets(world: world, keyIDs: keyIDs) + [Array(pairPrivateKey)]
            let files = try DataDirectoryBytes(world.dataDirectory)
            #expect(files.runs(of: DataDirectoryBytes.sqliteHeader, length: 16).count > 0)
            #expect(secrets.count == Self.specs.count + 1)
            for secret in secrets {
                #expect(secret.count >= 32, "every key has at least 32 secret bytes to look for")
                #expect(files.runs(of: secret, length: 16).isEmpty)
            }
            world.server = try await TestServer.start(world.server.configuration)
        }
    }

    /// The unwrapped bytes of version 1 of each key, read from the store and the root key
    /// file as the server would; for asymmetric keys only what the public key does not show.
    static func storedSecrets(world: TestWorld, keyIDs: [String]) async throws -> [[UInt8]] {
        let configuration = world.server.configuration
        let text = try String(contentsOfFile: configuration.rootKeyFile, encoding: .utf8)
        let rootKey = try RootKey(bytes: Array(try #require(Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)))))
        let store = try await SQLiteKeyStore.open(path: configuration.databasePath, logger: Logger(label: "test"))
        var secrets: [[UInt8]] = []
        for (keyID, (_, spec)) in zip(keyIDs, specs) {
            let id = try #require(KeyID(string: keyID))
            let wrapped = try #require(try await store.keyVersion(id, version: 1))
            let material = try rootKey.unwrap(wrapped.wrappedMaterial, spec: spec, keyID: id, version: 1)
            switch material {
            case .asymmetric(let key):
                let publicBytes = key.publicKey.subjectPublicKeyInfo
                let privateBytes = key.pkcs8.withUnsafeBytes { Array($0) }
                secrets.append(privateBytes.removingRuns(shownIn: publicBytes, length: 16))
            case .mac(let key):
                secrets.append(key.withUnsafeBytes { Array($0) })
            case .symmetric:
                Issue.record("a \(spec) key unwrapped as symmetric material")
            }
        }
        try await store.close()
        return secrets
    }
}

extension Array where Element == UInt8 {
    /// This array with every byte that lies in a `length`-byte run also found in `shown`
    /// replaced by a gap (split into the secret stretches between such runs, joined), so
    /// that the public parts a PKCS#8 key repeats are not searched for.
    func removingRuns(shownIn shown: [UInt8], length: Int) -> [UInt8] {
        guard count >= length else { return self }
        var isPublic = [Bool](repeating: false, count: count)
        for start in 0...(count - length) where shown.containsRun(self[start..<(start + length)]) {
            for index in start..<(start + length) { isPublic[index] = true }
        }
        return indices.filter { !isPublic[$0] }.map { self[$0] }
    }

    private func containsRun(_ run: ArraySlice<UInt8>) -> Bool {
        guard count >= run.count else { return false }
        return (0...(count - run.count)).contains { self[$0..<($0 + run.count)].elementsEqual(run) }
    }
}
