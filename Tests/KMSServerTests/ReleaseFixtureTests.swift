import Foundation
import KMSClient
import KMSProto
import Testing

/// A data directory that an earlier release of swift-kms made (Resources/release-2026-12-07)
/// opens with today's `kmsd`, migrates if it must, and still decrypts what it encrypted.
@Suite struct ReleaseFixtureTests {
    static let fixture = Bundle.module.resourceURL!.appendingPathComponent("release-2026-12-07")

    @Test func aDataDirectoryOfTheDecember2026ReleaseOpensAndDecrypts() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kms-release-\(UUID())")
        let dataDirectory = directory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(at: Self.fixture.appendingPathComponent("kms.sqlite"), to: dataDirectory.appendingPathComponent("kms.sqlite"))
        let rootKey = directory.appendingPathComponent("root.key")
        try FileManager.default.copyItem(at: Self.fixture.appendingPathComponent("fixture-root.key"), to: rootKey)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: rootKey.path)
        let blob = try #require(Data(base64Encoded: String(contentsOf: Self.fixture.appendingPathComponent("ciphertext.b64"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))

        let pki = try TestPKI(directory: directory.appendingPathComponent("pki"))
        let server = try await TestServer.start(TestServer.configuration(pki: pki, dataDirectory: dataDirectory, rootKeyFile: rootKey.path))
        let admin = try pki.client("admin", spiffeIDs: [TestPKI.adminID])
        do {
            try await server.withClient(admin) { client in
                let opened = try await client.decrypt(.with { $0.ciphertextBlob = blob; $0.encryptionContext = ["app": "fixture"] })
                #expect(opened.plaintext == Data("made by the 2026-12-07 release".utf8))
                let key = try await client.describeKey(.with { $0.keyID = "alias/release-fixture" }).keyMetadata
                #expect(key.keyID == opened.keyID && key.description_p == "release fixture")
            }
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}
