import Foundation
import KMSCore
import KMSStorage
import Testing

/// Conformance checks for rotation: schedules, the compare-and-swap that adds a version, and
/// the query the rotation job runs.
extension KeyStoreConformance {
    static func roundTripsDeletionDateAndRotation(_ store: any KeyStore) async throws {
        let pending = TestKeys.make(
            state: .pendingDeletion,
            deletionDate: TestKeys.creationDate.addingTimeInterval(7 * TestKeys.day + 0.000_001),
            rotation: TestKeys.schedule(period: 2560, nextInDays: 2560)
        )
        let plain = TestKeys.make()
        for (key, version) in [pending, plain] {
            try await store.createKey(key, firstVersion: version)
        }
        let listed = try await store.listKeys(after: nil, limit: 10)
        for (key, version) in [pending, plain] {
            #expect(try await store.key(key.metadata.keyID) == key)
            #expect(listed.contains(key))
            let read = try await store.keyVersion(key.metadata.keyID, version: 1)
            #expect(read == version)
            #expect(read?.rotationType == .creation)
            #expect(read?.isEnabled == true)
        }
    }

    static func setsAndClearsRotation(_ store: any KeyStore) async throws {
        let (key, version) = TestKeys.make()
        let (bystander, bystanderVersion) = TestKeys.make(rotation: TestKeys.schedule(nextInDays: 365))
        try await store.createKey(key, firstVersion: version)
        try await store.createKey(bystander, firstVersion: bystanderVersion)
        let id = key.metadata.keyID
        var expected = key

        for schedule in [TestKeys.schedule(period: 90, nextInDays: 90), TestKeys.schedule(period: 2560, nextInDays: 100.5), nil] {
            try await store.setRotation(id, schedule)
            expected.metadata.rotation = schedule
            #expect(try await store.key(id) == expected)
        }
        await #expect(throws: KMSError(.validation, "")) {
            try await store.setRotation(id, TestKeys.schedule(period: 0, nextInDays: 1))
        }
        await #expect(throws: KMSError(.keyNotFound, "")) {
            try await store.setRotation(KeyID.random(), TestKeys.schedule(nextInDays: 1))
        }
        #expect(try await store.key(id) == expected)
        #expect(try await store.key(bystander.metadata.keyID) == bystander)
    }

    /// A version is added only when the key's current version is the expected one; a stale
    /// expectation changes nothing.
    static func addVersionSwapsOnlyWhenCurrentIsExpected(_ store: any KeyStore) async throws {
        let schedule = TestKeys.schedule(nextInDays: 365)
        let (key, version) = TestKeys.make(rotation: schedule)
        let (disabled, disabledVersion) = TestKeys.make(state: .disabled)
        try await store.createKey(key, firstVersion: version)
        try await store.createKey(disabled, firstVersion: disabledVersion)
        let id = key.metadata.keyID
        let second = TestKeys.version(2, of: id)
        var expected = key

        #expect(try await store.addVersion(second, expectedCurrent: 1, dueBy: nil, nextSchedule: nil))
        expected.metadata.currentVersion = 2
        #expect(try await store.key(id) == expected)
        #expect(try await store.keyVersion(id, version: 1) == version)
        #expect(try await store.keyVersion(id, version: 2) == second)

        let stale = TestKeys.version(2, of: id, rotationType: .automatic)
        #expect(try await store.addVersion(stale, expectedCurrent: 1, dueBy: nil, nextSchedule: nil) == false)
        #expect(try await store.keyVersion(id, version: 2) == second)
        #expect(try await store.key(id) == expected)

        let nextSchedule = TestKeys.schedule(period: 90, nextInDays: 455)
        let third = TestKeys.version(3, of: id, rotationType: .automatic)
        #expect(try await store.addVersion(third, expectedCurrent: 2, dueBy: nil, nextSchedule: nextSchedule))
        expected.metadata.currentVersion = 3
        expected.metadata.rotation = nextSchedule
        #expect(try await store.key(id) == expected)
        #expect(try await store.keyVersion(id, version: 3) == third)

        let validation = KMSError(.validation, "")
        await #expect(throws: validation) {
            try await store.addVersion(TestKeys.version(5, of: id), expectedCurrent: 3, dueBy: nil, nextSchedule: nil)
        }
        await #expect(throws: validation) {
            try await store.addVersion(TestKeys.version(4, of: id, isEnabled: false), expectedCurrent: 3, dueBy: nil, nextSchedule: nil)
        }
        #expect(try await store.key(id) == expected)
        #expect(try await store.keyVersion(id, version: 4) == nil)
        await #expect(throws: KMSError(.keyNotFound, "")) {
            try await store.addVersion(TestKeys.version(2, of: KeyID.random()), expectedCurrent: 1, dueBy: nil, nextSchedule: nil)
        }

        let disabledID = disabled.metadata.keyID
        let notEnabled = try await store.addVersion(
            TestKeys.version(2, of: disabledID), expectedCurrent: 1, dueBy: nil, nextSchedule: nil
        )
        #expect(notEnabled == false)
        #expect(try await store.key(disabledID) == disabled)
        #expect(try await store.keyVersion(disabledID, version: 2) == nil)
    }

    /// With `dueBy`, a version is added only when rotation is enabled and due; the new
    /// schedule then makes a second attempt for the same period fail.
    static func addVersionWithDueByRotatesOnlyWhenDue(_ store: any KeyStore) async throws {
        let schedule = TestKeys.schedule(period: 90, nextInDays: 90)
        let due = schedule.nextRotationDate
        let (key, version) = TestKeys.make(rotation: schedule)
        let (unscheduled, unscheduledVersion) = TestKeys.make()
        try await store.createKey(key, firstVersion: version)
        try await store.createKey(unscheduled, firstVersion: unscheduledVersion)
        let id = key.metadata.keyID
        let next = TestKeys.schedule(period: 90, nextInDays: 180)
        let second = TestKeys.version(2, of: id, rotationType: .automatic)

        let early = try await store.addVersion(second, expectedCurrent: 1, dueBy: due.addingTimeInterval(-0.000_001), nextSchedule: next)
        #expect(early == false)
        #expect(try await store.key(id) == key)
        let withoutSchedule = try await store.addVersion(
            TestKeys.version(2, of: unscheduled.metadata.keyID), expectedCurrent: 1, dueBy: due, nextSchedule: next
        )
        #expect(withoutSchedule == false)
        #expect(try await store.key(unscheduled.metadata.keyID) == unscheduled)

        #expect(try await store.addVersion(second, expectedCurrent: 1, dueBy: due, nextSchedule: next))
        var expected = key
        expected.metadata.currentVersion = 2
        expected.metadata.rotation = next
        #expect(try await store.key(id) == expected)
        #expect(try await store.keyVersion(id, version: 2) == second)

        let again = try await store.addVersion(
            TestKeys.version(3, of: id, rotationType: .automatic), expectedCurrent: 2, dueBy: due, nextSchedule: next
        )
        #expect(again == false)
        #expect(try await store.key(id) == expected)
    }

    /// Ten callers race to rotate the same key from the same current version, first on
    /// demand, then as the rotation job does: each time exactly one wins, and its version is
    /// the one stored.
    static func concurrentAddVersionOneWins(_ store: any KeyStore) async throws {
        let schedule = TestKeys.schedule(nextInDays: 365)
        let (key, version) = TestKeys.make(rotation: schedule)
        try await store.createKey(key, firstVersion: version)
        let id = key.metadata.keyID
        let next = TestKeys.schedule(nextInDays: 730)

        let onDemand = try await raceToAddVersion(2, of: id, on: store, rotationType: .onDemand, dueBy: nil, nextSchedule: nil)
        let automatic = try await raceToAddVersion(
            3, of: id, on: store, rotationType: .automatic, dueBy: schedule.nextRotationDate, nextSchedule: next
        )

        #expect(onDemand.count == 1)
        #expect(automatic.count == 1)
        var expected = key
        expected.metadata.currentVersion = 3
        expected.metadata.rotation = next
        #expect(try await store.key(id) == expected)
        #expect(try await store.listVersions(id, after: nil, limit: 10) == [version] + onDemand + automatic)
    }

    /// Ten concurrent `addVersion` calls of different candidates for version `number`.
    ///
    /// - Returns: The candidates whose call returned true.
    private static func raceToAddVersion(
        _ number: KeyVersion, of id: KeyID, on store: any KeyStore, rotationType: RotationType, dueBy: Date?,
        nextSchedule: RotationSchedule?
    ) async throws -> [WrappedKeyVersion] {
        let candidates = (0..<10).map { _ in TestKeys.version(number, of: id, rotationType: rotationType) }
        return try await withThrowingTaskGroup(of: WrappedKeyVersion?.self) { group in
            for candidate in candidates {
                group.addTask {
                    let added = try await store.addVersion(
                        candidate, expectedCurrent: number - 1, dueBy: dueBy, nextSchedule: nextSchedule
                    )
                    return added ? candidate : nil
                }
            }
            return try await group.reduce(into: [WrappedKeyVersion]()) { winners, winner in
                if let winner { winners.append(winner) }
            }
        }
    }

    /// Only enabled keys whose next rotation date has come are listed, the longest overdue first.
    static func listsKeysDueForRotation(_ store: any KeyStore) async throws {
        let now = TestKeys.creationDate.addingTimeInterval(400 * TestKeys.day)
        let keys: [(name: String, state: KeyState, nextInDays: Double?)] = [
            ("exact", .enabled, 400), ("overdue", .enabled, 390), ("notYet", .enabled, 400.000_001),
            ("disabled", .disabled, 300), ("pending", .pendingDeletion, 300), ("unscheduled", .enabled, nil),
        ]
        var ids: [String: KeyID] = [:]
        for (name, state, nextInDays) in keys {
            let (key, version) = TestKeys.make(
                description: name, state: state, rotation: nextInDays.map { TestKeys.schedule(nextInDays: $0) }
            )
            try await store.createKey(key, firstVersion: version)
            ids[name] = key.metadata.keyID
        }

        let expected = try ["overdue", "exact"].map { name in try #require(ids[name]) }
        #expect(try await store.keysDueForRotation(now: now, limit: 10) == expected)
        #expect(try await store.keysDueForRotation(now: now, limit: 1) == [expected[0]])
        #expect(try await store.keysDueForRotation(now: TestKeys.creationDate, limit: 10).isEmpty)
        await #expect(throws: KMSError(.validation, "")) { try await store.keysDueForRotation(now: now, limit: 0) }
    }
}
