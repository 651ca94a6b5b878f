import Foundation
import KMSCore
import KMSStorage
import Testing

/// Conformance checks for scheduled deletion and the destruction of a key's material.
extension KeyStoreConformance {
    static func schedulesAndCancelsDeletion(_ store: any KeyStore) async throws {
        let (key, version) = TestKeys.make(tags: ["team": "payments"])
        let (disabled, disabledVersion) = TestKeys.make(state: .disabled)
        let (bystander, bystanderVersion) = TestKeys.make()
        for (candidate, first) in [(key, version), (disabled, disabledVersion), (bystander, bystanderVersion)] {
            try await store.createKey(candidate, firstVersion: first)
        }
        let id = key.metadata.keyID
        let deletionDate = TestKeys.creationDate.addingTimeInterval(30 * TestKeys.day)
        let invalidState = KMSError(.invalidState, "")
        var expected = key

        try await store.scheduleDeletion(id, deletionDate: deletionDate)
        expected.metadata.keyState = .pendingDeletion
        expected.metadata.deletionDate = deletionDate
        #expect(try await store.key(id) == expected)
        await #expect(throws: invalidState) {
            try await store.scheduleDeletion(id, deletionDate: deletionDate.addingTimeInterval(TestKeys.day))
        }
        #expect(try await store.key(id) == expected)

        try await store.cancelDeletion(id)
        expected.metadata.keyState = .disabled
        expected.metadata.deletionDate = nil
        #expect(try await store.key(id) == expected)
        await #expect(throws: invalidState) { try await store.cancelDeletion(id) }
        await #expect(throws: invalidState) { try await store.cancelDeletion(bystander.metadata.keyID) }
        #expect(try await store.key(id) == expected)

        try await store.scheduleDeletion(disabled.metadata.keyID, deletionDate: deletionDate)
        var expectedDisabled = disabled
        expectedDisabled.metadata.keyState = .pendingDeletion
        expectedDisabled.metadata.deletionDate = deletionDate
        #expect(try await store.key(disabled.metadata.keyID) == expectedDisabled)

        let missing = KeyID.random()
        await #expect(throws: KMSError(.keyNotFound, "")) { try await store.scheduleDeletion(missing, deletionDate: deletionDate) }
        await #expect(throws: KMSError(.keyNotFound, "")) { try await store.cancelDeletion(missing) }
        #expect(try await store.key(bystander.metadata.keyID) == bystander)
        #expect(try await store.keyVersion(id, version: 1) == version)
    }

    /// Only keys pending deletion whose date has come are listed, the longest overdue first.
    static func listsKeysDueForDeletion(_ store: any KeyStore) async throws {
        let now = TestKeys.creationDate.addingTimeInterval(40 * TestKeys.day)
        let deletionDates: [(name: String, date: Date?)] = [
            ("exact", now), ("overdue", now.addingTimeInterval(-2 * TestKeys.day)),
            ("notYet", now.addingTimeInterval(0.000_001)), ("neverScheduled", nil), ("destroyed", now),
        ]
        var ids: [String: KeyID] = [:]
        for (name, date) in deletionDates {
            let (key, version) = TestKeys.make(description: name)
            try await store.createKey(key, firstVersion: version)
            ids[name] = key.metadata.keyID
            if let date { try await store.scheduleDeletion(key.metadata.keyID, deletionDate: date) }
        }
        let destroyedID = try #require(ids["destroyed"])
        #expect(try await store.destroyKey(destroyedID, now: now))

        let expected = try ["overdue", "exact"].map { name in try #require(ids[name]) }
        #expect(try await store.keysDueForDeletion(now: now, limit: 10) == expected)
        #expect(try await store.keysDueForDeletion(now: now, limit: 1) == [expected[0]])
        #expect(try await store.keysDueForDeletion(now: TestKeys.creationDate, limit: 10).isEmpty)
        await #expect(throws: KMSError(.validation, "")) { try await store.keysDueForDeletion(now: now, limit: 0) }
    }

    /// Destruction deletes every version of the key and nothing else; the metadata, tags and
    /// aliases stay, and nothing can bring material back.
    static func destroysOnlyDueKeysAndKeepsMetadata(_ store: any KeyStore) async throws {
        let (key, version) = TestKeys.make(tags: ["team": "payments"], rotation: TestKeys.schedule(nextInDays: 365))
        let (bystander, bystanderVersion) = TestKeys.make()
        try await store.createKey(key, firstVersion: version)
        try await store.createKey(bystander, firstVersion: bystanderVersion)
        let id = key.metadata.keyID
        for number: KeyVersion in 2...3 {
            let added = try await store.addVersion(
                TestKeys.version(number, of: id), expectedCurrent: number - 1, dueBy: nil, nextSchedule: nil
            )
            #expect(added)
        }
        try await store.setVersionEnabled(id, version: 2, enabled: false)
        let alias = StoredAlias(name: "alias/doomed", targetKeyID: id)
        try await store.createAlias(alias)
        let deletionDate = TestKeys.creationDate.addingTimeInterval(10 * TestKeys.day)

        #expect(try await store.destroyKey(id, now: deletionDate) == false)
        try await store.scheduleDeletion(id, deletionDate: deletionDate)
        #expect(try await store.destroyKey(id, now: deletionDate.addingTimeInterval(-0.000_001)) == false)
        #expect(try await store.listVersions(id, after: nil, limit: 10).count == 3)

        #expect(try await store.destroyKey(id, now: deletionDate))
        var expected = key
        expected.metadata.keyState = .destroyed
        expected.metadata.deletionDate = deletionDate
        expected.metadata.currentVersion = 3
        #expect(try await store.key(id) == expected)
        for number: KeyVersion in 1...3 {
            #expect(try await store.keyVersion(id, version: number) == nil)
        }
        #expect(try await store.listVersions(id, after: nil, limit: 10).isEmpty)
        #expect(try await store.listKeys(after: nil, limit: 10).contains(expected))
        #expect(try await store.alias(named: alias.name) == alias)

        let invalidState = KMSError(.invalidState, "")
        #expect(try await store.destroyKey(id, now: deletionDate.addingTimeInterval(TestKeys.day)) == false)
        await #expect(throws: invalidState) { try await store.cancelDeletion(id) }
        await #expect(throws: invalidState) { try await store.scheduleDeletion(id, deletionDate: deletionDate) }
        let revived = try await store.addVersion(TestKeys.version(4, of: id), expectedCurrent: 3, dueBy: nil, nextSchedule: nil)
        #expect(revived == false)
        await #expect(throws: KMSError(.keyDestroyed, "")) { try await store.setVersionEnabled(id, version: 1, enabled: true) }
        #expect(try await store.listVersions(id, after: nil, limit: 10).isEmpty)
        #expect(try await store.key(id) == expected)

        await #expect(throws: KMSError(.keyNotFound, "")) { try await store.destroyKey(KeyID.random(), now: deletionDate) }
        #expect(try await store.key(bystander.metadata.keyID) == bystander)
        #expect(try await store.keyVersion(bystander.metadata.keyID, version: 1) == bystanderVersion)
    }
}
