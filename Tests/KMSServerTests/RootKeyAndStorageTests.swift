import Foundation
import KMSClient
import KMSCore
import KMSProto
import KMSServer
import Testing

/// Key material is stored only wrapped under the root key, and the server never
/// serves with a wrong or missing root key.
@Suite struct RootKeyAndStorageTests {
    @Test func noPlaintextOrDataKeyInAnyFileOfTheDataDirectory() async throws {
        try await withWorld { world in
            let secret = Data.random(count: 64)
            let dataKey = try await world.server.withClient(world.app) { client in
                let key = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                _ = try await client.encrypt(.with { $0.keyID = key; $0.plaintext = secret })
                return try await client.generateDataKey(.with { $0.keyID = key; $0.keySpec = .aes256 }).plaintext
            }
            await world.server.stop()
            let files = try DataDirectoryBytes(world.dataDirectory)
            #expect(files.contains(DataDirectoryBytes.sqliteHeader))
            #expect(!files.contains(secret))
            #expect(!files.contains(dataKey))
            world.server = try await TestServer.start(world.server.configuration)
        }
    }

    @Test func theRootKeyFileIsCreatedWithMode0600() async throws {
        try await withWorld { world in
            let path = world.dataDirectory.appendingPathComponent("root.key").path
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        }
    }

    @Test func aWrongOrMissingRootKeyRefusesToStart() async throws {
        try await withWorld { world in
            await world.server.stop()
            let path = world.dataDirectory.appendingPathComponent("root.key")
            let original = try Data(contentsOf: path)

            try writeRootKeyFile(randomRootKeyFileContents(), to: path)
            await #expect(throws: StartupError.self) { try await KMSServer(configuration: world.server.configuration) }

            try writeRootKeyFile(Data("not a key\n".utf8), to: path)
            await #expect(throws: StartupError.self) { try await KMSServer(configuration: world.server.configuration) }

            try FileManager.default.removeItem(at: path)
            await #expect(throws: StartupError.self) { try await KMSServer(configuration: world.server.configuration) }
            #expect(!FileManager.default.fileExists(atPath: path.path), "a missing root key must not be replaced by a new one")

            try writeRootKeyFile(original, to: path)
            world.server = try await TestServer.start(world.server.configuration)
        }
    }
}
