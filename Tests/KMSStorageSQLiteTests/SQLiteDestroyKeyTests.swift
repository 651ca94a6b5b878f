import Foundation
import KMSCore
import KMSStorage
import KMSStorageSQLite
import KMSStorageConformance
import Logging
import Testing

@Suite("SQLiteKeyStore crypto-shredding")
struct SQLiteDestroyKeyTests {
    @Test("destroying a key leaves no trace of its wrapped material in any file of the database directory")
    func destroyLeavesNoTraceInFiles() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending(path: "keys.sqlite").path
            let store = try await SQLiteKeyStore.open(path: path, logger: Logger(label: "KMSStorageTests"))
            // Small rows share pages with other keys' rows; large ones spill to overflow pages.
            let doomed = [60, 4096, 60, 10_000, 60].map { TestKeys.randomBytes($0) }
            let (key, version) = TestKeys.make(material: doomed[0])
            let id = key.metadata.keyID
            var kept: [[UInt8]] = []
            do {
                try await store.createKey(key, firstVersion: version)
                for (index, material) in doomed.enumerated().dropFirst() {
                    let (bystander, bystanderVersion) = TestKeys.make()
                    try await store.createKey(bystander, firstVersion: bystanderVersion)
                    kept.append(bystanderVersion.wrappedMaterial)
                    let number = KeyVersion(index + 1)
                    let added = try await store.addVersion(
                        TestKeys.version(number, of: id, material: material), expectedCurrent: number - 1,
                        dueBy: nil, nextSchedule: nil
                    )
                    #expect(added)
                }
                #expect(try DatabaseFile.tracesOf(doomed, in: directory) == Set(doomed.indices))

                try await store.scheduleDeletion(id, deletionDate: TestKeys.creationDate)
                #expect(try await store.destroyKey(id, now: TestKeys.creationDate))

                #expect(try DatabaseFile.tracesOf(doomed, in: directory).isEmpty)
                #expect(try DatabaseFile.tracesOf(kept, in: directory) == Set(kept.indices))
                let destroyed = try await store.key(id)
                #expect(destroyed?.metadata.keyState == .destroyed)
                #expect(destroyed?.metadata.deletionDate == TestKeys.creationDate)
                #expect(destroyed?.metadata.currentVersion == KeyVersion(doomed.count))
            } catch {
                try? await store.close()
                throw error
            }
            try await store.close()
            #expect(try DatabaseFile.tracesOf(doomed, in: directory).isEmpty)
        }
    }
}
