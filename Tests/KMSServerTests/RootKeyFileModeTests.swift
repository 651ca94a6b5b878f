import Foundation
@testable import KMSServer
import Testing

/// Like ssh with a private key, `kmsd` refuses a root key file that its group or others
/// may read or write, and says how to fix it.
@Suite struct RootKeyFileModeTests {
    @Test(arguments: [(mode_t(0o644), "0644"), (0o640, "0640"), (0o604, "0604"), (0o660, "0660"), (0o602, "0602")])
    func aFileOthersMayReadOrWriteIsRefused(mode: mode_t, written: String) throws {
        try withRootKeyFile(mode: mode) { path in
            let error = #expect(throws: StartupError.self) { try RootKeyFile.load(path: path) }
            #expect(
                error?.description == "the root key file \(path) has mode \(written); it must be readable by its owner only: chmod 600 \(path)"
            )
        }
    }

    @Test(arguments: [mode_t(0o600), 0o400])
    func aFileOnlyItsOwnerMayReadIsAccepted(mode: mode_t) throws {
        try withRootKeyFile(mode: mode) { path in
            let key = try RootKeyFile.load(path: path)
            #expect(key != nil)
        }
    }

    @Test func theServerRefusesToStartUntilTheModeIsFixed() async throws {
        try await withWorld { world in
            await world.server.stop()
            let path = world.dataDirectory.appendingPathComponent("root.key").path
            #expect(chmod(path, 0o644) == 0)
            let error = await #expect(throws: StartupError.self) {
                try await KMSServer(configuration: world.server.configuration)
            }
            #expect(error?.description.contains("chmod 600 \(path)") == true, "\(String(describing: error))")

            #expect(chmod(path, 0o600) == 0)
            world.server = try await TestServer.start(world.server.configuration)
        }
    }

    /// Runs `body` with the path of a well-formed root key file of mode `mode`.
    private func withRootKeyFile(mode: mode_t, _ body: (String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kms-root-key-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("root.key")
        try writeRootKeyFile(randomRootKeyFileContents(), to: file, mode: mode)
        try body(file.path)
    }
}
