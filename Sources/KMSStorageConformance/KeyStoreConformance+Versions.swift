import KMSCore
import KMSStorage
import Testing

/// Conformance checks for reading a key's versions and turning single versions off and on.
extension KeyStoreConformance {
    static func listsVersionsInPages(_ store: any KeyStore) async throws {
        let (key, version) = TestKeys.make()
        let (bystander, bystanderVersion) = TestKeys.make()
        try await store.createKey(key, firstVersion: version)
        try await store.createKey(bystander, firstVersion: bystanderVersion)
        let id = key.metadata.keyID
        var versions = [version]
        for number: KeyVersion in 2...7 {
            let added = TestKeys.version(number, of: id, rotationType: number.isMultiple(of: 2) ? .automatic : .onDemand)
            #expect(try await store.addVersion(added, expectedCurrent: number - 1, dueBy: nil, nextSchedule: nil))
            versions.append(added)
        }
        try await store.setVersionEnabled(id, version: 3, enabled: false)
        versions[2] = WrappedKeyVersion(
            keyID: id, version: 3, wrappedMaterial: versions[2].wrappedMaterial, creationDate: versions[2].creationDate,
            rotationType: versions[2].rotationType, isEnabled: false
        )

        #expect(try await store.listVersions(id, after: nil, limit: 3) == Array(versions[0..<3]))
        #expect(try await store.listVersions(id, after: 3, limit: 3) == Array(versions[3..<6]))
        #expect(try await store.listVersions(id, after: 6, limit: 3) == [versions[6]])
        #expect(try await store.listVersions(id, after: 7, limit: 3).isEmpty)
        #expect(try await store.listVersions(id, after: nil, limit: 100) == versions)
        #expect(try await store.listVersions(bystander.metadata.keyID, after: nil, limit: 100) == [bystanderVersion])
        await #expect(throws: KMSError(.validation, "")) { try await store.listVersions(id, after: nil, limit: 0) }
        await #expect(throws: KMSError(.keyNotFound, "")) { try await store.listVersions(KeyID.random(), after: nil, limit: 10) }
    }

    static func enablesAndDisablesVersions(_ store: any KeyStore) async throws {
        let (key, version) = TestKeys.make()
        let (bystander, bystanderVersion) = TestKeys.make()
        try await store.createKey(key, firstVersion: version)
        try await store.createKey(bystander, firstVersion: bystanderVersion)
        let id = key.metadata.keyID
        let second = TestKeys.version(2, of: id)
        #expect(try await store.addVersion(second, expectedCurrent: 1, dueBy: nil, nextSchedule: nil))

        for enabled in [false, false, true, true, false] {
            try await store.setVersionEnabled(id, version: 1, enabled: enabled)
            #expect(try await store.keyVersion(id, version: 1)?.isEnabled == enabled)
        }
        #expect(try await store.keyVersion(id, version: 1)?.wrappedMaterial == version.wrappedMaterial)

        await #expect(throws: KMSError(.invalidState, "")) { try await store.setVersionEnabled(id, version: 2, enabled: false) }
        try await store.setVersionEnabled(id, version: 2, enabled: true)
        #expect(try await store.keyVersion(id, version: 2) == second)
        await #expect(throws: KMSError(.keyVersionNotFound, "")) { try await store.setVersionEnabled(id, version: 3, enabled: true) }
        await #expect(throws: KMSError(.keyNotFound, "")) {
            try await store.setVersionEnabled(KeyID.random(), version: 1, enabled: false)
        }
        #expect(try await store.keyVersion(bystander.metadata.keyID, version: 1) == bystanderVersion)
        #expect(try await store.key(id)?.metadata.currentVersion == 2)
    }
}
