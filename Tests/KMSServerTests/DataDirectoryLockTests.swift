import Foundation
import KMSProto
import KMSServer
import Testing

/// One `kmsd` per data directory: while a server holds `<data_dir>/kmsd.lock`, a second
/// server on that directory refuses to start and names the lock; once the first has
/// stopped, a new one starts. (The lock is an `flock` on one open file description, so a
/// second server in the same process is refused just like one in another process.)
@Suite struct DataDirectoryLockTests {
    @Test func aSecondServerOnTheSameDataDirectoryRefusesToStart() async throws {
        try await withWorld { world in
            let lockFile = world.dataDirectory.appendingPathComponent("kmsd.lock").path
            let error = await #expect(throws: StartupError.self) {
                try await KMSServer(configuration: world.server.configuration)
            }
            #expect(error?.description.contains("another kmsd is already serving data_dir") == true, "\(String(describing: error))")
            #expect(error?.description.contains(lockFile) == true, "\(String(describing: error))")
            #expect(try await world.server.healthStatus(world.admin) == .serving, "the refused start disturbs nothing")

            await world.server.stop()
            world.server = try await TestServer.start(world.server.configuration)
            #expect(try await world.server.healthStatus(world.admin) == .serving)
        }
    }

    @Test func aServerThatFailsToStartLeavesTheDataDirectoryUnlocked() async throws {
        try await withWorld { world in
            await world.server.stop()
            let rootKey = world.dataDirectory.appendingPathComponent("root.key")
            let original = try Data(contentsOf: rootKey)
            try writeRootKeyFile(Data("not a key\n".utf8), to: rootKey)
            await #expect(throws: StartupError.self) { try await KMSServer(configuration: world.server.configuration) }

            try writeRootKeyFile(original, to: rootKey)
            world.server = try await TestServer.start(world.server.configuration)
            #expect(try await world.server.healthStatus(world.admin) == .serving)
        }
    }
}
