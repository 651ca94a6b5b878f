import Foundation
import KMSCore
import KMSCrypto
import KMSService
import Testing

/// Rotation on demand and by the background job: every ciphertext ever made keeps
/// decrypting, and several nodes rotate a key once per period.
@Suite struct KeyRotationTests {
    let admin = ServiceFixture.admin

    @Test func everyVersionStillDecryptsAfterRotationsOnDemandAndByTheJob() async throws {
        let rotations = 4
        var keyID = KeyID.random()
        var blobs: [[UInt8]] = []
        try await withRestartedService { fixture in
            let service = fixture.service
            keyID = try await fixture.createKey()
            try await service.enableKeyRotation(keyID: keyID.description, rotationPeriodInDays: 90, context: admin)
            for round in 1...rotations {
                let sealed = try await service.encrypt("made under version \(round)", under: keyID)
                #expect(sealed.keyVersion == KeyVersion(round))
                blobs.append(sealed.ciphertextBlob)
                if round.isMultiple(of: 2) {
                    fixture.clock.advance(days: 90, seconds: 1)
                    #expect(try await service.runDueWork(now: fixture.clock.now) == DueWorkReport(rotated: [keyID]))
                } else {
                    #expect(try await service.rotateKeyOnDemand(keyID: keyID.description, context: admin).currentVersion == KeyVersion(round + 1))
                }
            }
            let newest = try await service.encrypt("made under version \(rotations + 1)", under: keyID)
            #expect(newest.keyVersion == KeyVersion(rotations + 1))
            blobs.append(newest.ciphertextBlob)
            for (index, blob) in blobs.enumerated() {
                #expect(try await service.decryptText(blob) == "made under version \(index + 1)")
            }
            let moved = try await service.reEncrypt(ReEncryptRequest(ciphertextBlob: blobs[0], destinationKeyID: keyID.description), context: admin)
            #expect(moved.sourceKeyVersion == 1)
            #expect(moved.keyVersion == KeyVersion(rotations + 1))
            #expect(try await service.decryptText(moved.ciphertextBlob) == "made under version 1")
        } then: { restarted in
            #expect(try await restarted.service.describeKey(keyID: keyID.description, context: admin).currentVersion == KeyVersion(rotations + 1))
            for (index, blob) in blobs.enumerated() {
                #expect(try await restarted.service.decryptText(blob) == "made under version \(index + 1)")
            }
            let listed = try await restarted.service.listKeyRotations(keyID: keyID.description, pageSize: 0, pageToken: "", context: admin)
            #expect(listed.rotations.map(\.version) == [2, 3, 4, 5])
            #expect(listed.rotations.map(\.rotationType) == [.onDemand, .automatic, .onDemand, .automatic])
            #expect(listed.rotations.map(\.creationDate) == listed.rotations.map(\.creationDate).sorted())
            #expect(listed.nextPageToken == "")
            #expect(try await restarted.service.encrypt("after restart", under: keyID).keyVersion == KeyVersion(rotations + 1))
        }
    }

    @Test func theJobRotatesOnlyWhenThePeriodHasPassed() async throws {
        try await withService { fixture in
            let service = fixture.service
            let keyID = try await fixture.createKey()
            let unrotated = try await fixture.createKey()
            try await service.enableKeyRotation(keyID: keyID.description, rotationPeriodInDays: 100, context: admin)
            let status = try #require(try await service.getKeyRotationStatus(keyID: keyID.description, context: admin))
            #expect(status == RotationSchedule(periodInDays: 100, nextRotationDate: fixture.clock.now.addingTimeInterval(100 * 86_400).roundedToMicroseconds))
            #expect(try await service.getKeyRotationStatus(keyID: unrotated.description, context: admin) == nil)

            fixture.clock.advance(days: 99)
            #expect(try await service.runDueWork(now: fixture.clock.now) == DueWorkReport())
            fixture.clock.advance(days: 1, seconds: 1)
            #expect(try await service.runDueWork(now: fixture.clock.now) == DueWorkReport(rotated: [keyID]))
            #expect(try await service.runDueWork(now: fixture.clock.now) == DueWorkReport(), "one rotation per period")
            let next = try #require(try await service.getKeyRotationStatus(keyID: keyID.description, context: admin))
            #expect(next.periodInDays == 100)
            #expect(next.nextRotationDate == fixture.clock.now.addingTimeInterval(100 * 86_400).roundedToMicroseconds)
            // Down for three periods: one rotation on the way back, not three.
            fixture.clock.advance(days: 300, seconds: 1)
            #expect(try await service.runDueWork(now: fixture.clock.now) == DueWorkReport(rotated: [keyID]))
            #expect(try await service.describeKey(keyID: keyID.description, context: admin).currentVersion == 3)
            #expect(try await service.describeKey(keyID: unrotated.description, context: admin).currentVersion == 1)
        }
    }

    @Test func twoNodesRunningTheJobAtOnceRotateOncePerPeriod() async throws {
        try await withService { fixture in
            let first = fixture.service
            let second = try fixture.secondNode()
            var keys: [KeyID] = []
            for _ in 0..<3 {
                let keyID = try await fixture.createKey()
                try await first.enableKeyRotation(keyID: keyID.description, rotationPeriodInDays: 90, context: admin)
                // Both nodes have the key cached at version 1.
                _ = try await first.encrypt("warm", under: keyID)
                _ = try await second.encrypt("warm", under: keyID)
                keys.append(keyID)
            }
            for period in 1...3 {
                fixture.clock.advance(days: 90, seconds: 1)
                let now = fixture.clock.now
                async let fromFirst = first.runDueWork(now: now)
                async let fromSecond = second.runDueWork(now: now)
                let reports = try await [fromFirst, fromSecond]
                let rotated = reports.flatMap(\.rotated)
                #expect(rotated.sorted() == keys.sorted(), "period \(period): each key exactly once")
                #expect(reports.allSatisfy { $0.destroyed.isEmpty })
            }
            for keyID in keys {
                let rotations = try await second.listKeyRotations(keyID: keyID.description, pageSize: 0, pageToken: "", context: admin)
                #expect(rotations.rotations.map(\.version) == [2, 3, 4])
                #expect(rotations.rotations.allSatisfy { $0.rotationType == .automatic })
            }
        }
    }

    @Test func rotationOnDemandOnANodeWithAStaleCacheMakesTheNextVersion() async throws {
        try await withService { fixture in
            let first = fixture.service
            let second = try fixture.secondNode()
            let keyID = try await fixture.createKey()
            let old = try await second.encrypt("cached at version 1", under: keyID)
            #expect(try await first.rotateKeyOnDemand(keyID: keyID.description, context: admin).currentVersion == 2)
            #expect(try await second.rotateKeyOnDemand(keyID: keyID.description, context: admin).currentVersion == 3)
            #expect(try await first.encrypt("new", under: keyID).keyVersion == 2, "the first node's cache was not told")
            #expect(try await second.encrypt("new", under: keyID).keyVersion == 3)
            #expect(try await first.decryptText(old.ciphertextBlob) == "cached at version 1")
        }
    }

    @Test func rotationOnDemandKeepsTheSchedule() async throws {
        try await withService { fixture in
            let keyID = try await fixture.createKey().description
            try await fixture.service.enableKeyRotation(keyID: keyID, rotationPeriodInDays: 0, context: admin)
            let before = try await fixture.service.getKeyRotationStatus(keyID: keyID, context: admin)
            #expect(before?.periodInDays == Limits.defaultRotationPeriodDays)
            fixture.clock.advance(days: 10)
            _ = try await fixture.service.rotateKeyOnDemand(keyID: keyID, context: admin)
            #expect(try await fixture.service.getKeyRotationStatus(keyID: keyID, context: admin) == before)
        }
    }

    @Test(arguments: [(0, 365), (90, 90), (2560, 2560), (89, nil), (2561, nil), (-1, nil)] as [(Int, Int?)])
    func rotationPeriodIsChecked(requested: Int, expectedDays: Int?) async throws {
        try await withService { fixture in
            let keyID = try await fixture.createKey().description
            let enable = { try await fixture.service.enableKeyRotation(keyID: keyID, rotationPeriodInDays: requested, context: admin) }
            guard let expectedDays else {
                #expect(await errorCode(enable) == .validation)
                #expect(try await fixture.service.getKeyRotationStatus(keyID: keyID, context: admin) == nil)
                return
            }
            try await enable()
            let status = try await fixture.service.getKeyRotationStatus(keyID: keyID, context: admin)
            #expect(status?.periodInDays == expectedDays)
            #expect(status?.nextRotationDate == fixture.clock.now.addingTimeInterval(TimeInterval(expectedDays) * 86_400).roundedToMicroseconds)
        }
    }

    @Test func disablingRotationStopsTheJobAndSurvivesARestart() async throws {
        var keyID = ""
        try await withRestartedService { fixture in
            keyID = try await fixture.createKey().description
            try await fixture.service.enableKeyRotation(keyID: keyID, rotationPeriodInDays: 90, context: admin)
            try await fixture.service.disableKeyRotation(keyID: keyID, context: admin)
            #expect(try await fixture.service.getKeyRotationStatus(keyID: keyID, context: admin) == nil)
        } then: { (restarted: ServiceFixture) async throws in
            #expect(try await restarted.service.getKeyRotationStatus(keyID: keyID, context: admin) == nil)
            restarted.clock.advance(days: 1000)
            #expect(try await restarted.service.runDueWork(now: restarted.clock.now) == DueWorkReport())
            #expect(try await restarted.service.describeKey(keyID: keyID, context: admin).currentVersion == 1)
        }
    }

    @Test func aKeyThatIsNotEnabledIsNotRotated() async throws {
        try await withService { fixture in
            let service = fixture.service
            let keyID = try await fixture.createKey()
            let id = keyID.description
            try await service.enableKeyRotation(keyID: id, rotationPeriodInDays: 90, context: admin)
            try await service.disableKey(keyID: id, context: admin)
            #expect(await errorCode { try await service.rotateKeyOnDemand(keyID: id, context: admin) } == .keyDisabled)
            fixture.clock.advance(days: 91)
            #expect(try await service.runDueWork(now: fixture.clock.now) == DueWorkReport())
            // Enabled again, the overdue rotation happens on the next run.
            try await service.enableKey(keyID: id, context: admin)
            #expect(try await service.runDueWork(now: fixture.clock.now) == DueWorkReport(rotated: [keyID]))

            // Due again, but pending deletion: neither rotated nor (before its window ends) destroyed.
            fixture.clock.advance(days: 91)
            _ = try await service.scheduleKeyDeletion(keyID: id, pendingWindowInDays: 30, context: admin)
            #expect(await errorCode { try await service.rotateKeyOnDemand(keyID: id, context: admin) } == .keyPendingDeletion)
            #expect(await errorCode { try await service.enableKeyRotation(keyID: id, rotationPeriodInDays: 90, context: admin) } == .invalidState)
            #expect(try await service.runDueWork(now: fixture.clock.now) == DueWorkReport())
            #expect(try await service.describeKey(keyID: id, context: admin).currentVersion == 2)
        }
    }

    @Test func rotationsArePaged() async throws {
        try await withService { fixture in
            let keyID = try await fixture.createKey().description
            let empty = try await fixture.service.listKeyRotations(keyID: keyID, pageSize: 0, pageToken: "", context: admin)
            #expect(empty.rotations.isEmpty)
            #expect(empty.nextPageToken == "")
            for _ in 0..<5 { _ = try await fixture.service.rotateKeyOnDemand(keyID: keyID, context: admin) }
            var pages: [[KeyVersion]] = []
            var token = ""
            repeat {
                let page = try await fixture.service.listKeyRotations(keyID: keyID, pageSize: 2, pageToken: token, context: admin)
                pages.append(page.rotations.map(\.version))
                token = page.nextPageToken
            } while !token.isEmpty
            #expect(pages == [[2, 3], [4, 5], [6]])
            for badToken in ["not a token", Data("x".utf8).base64EncodedString()] {
                #expect(await errorCode { try await fixture.service.listKeyRotations(keyID: keyID, pageSize: 2, pageToken: badToken, context: admin) } == .validation)
            }
            #expect(await errorCode { try await fixture.service.listKeyRotations(keyID: keyID, pageSize: 1001, pageToken: "", context: admin) } == .validation)
        }
    }
}
