import Foundation
import KMSCore
import KMSCrypto
import KMSService
import KMSStorage
import Testing

/// Scheduling, cancelling and carrying out the deletion of a key.
@Suite struct KeyDeletionTests {
    let admin = ServiceFixture.admin

    @Test(arguments: [(0, 30), (7, 7), (30, 30), (6, nil), (31, nil), (-7, nil)] as [(Int, Int?)])
    func thePendingWindowIsChecked(requested: Int, expectedDays: Int?) async throws {
        try await withService { fixture in
            let keyID = try await fixture.createKey().description
            let schedule = { try await fixture.service.scheduleKeyDeletion(keyID: keyID, pendingWindowInDays: requested, context: admin) }
            guard let expectedDays else {
                #expect(await errorCode(schedule) == .validation)
                #expect(try await fixture.service.describeKey(keyID: keyID, context: admin).keyState == .enabled)
                return
            }
            let metadata = try await schedule()
            #expect(metadata.keyState == .pendingDeletion)
            #expect(metadata.deletionDate == fixture.clock.now.addingTimeInterval(TimeInterval(expectedDays) * 86_400).roundedToMicroseconds)
            #expect(try await fixture.service.describeKey(keyID: keyID, context: admin) == metadata)
        }
    }

    @Test func aKeyPendingDeletionRefusesCryptographyUntilCancelled() async throws {
        var keyID = KeyID.random()
        var blob: [UInt8] = []
        var deletionDate: Date?
        try await withRestartedService { fixture in
            let service = fixture.service
            keyID = try await fixture.createKey()
            blob = try await service.encrypt("kept", under: keyID).ciphertextBlob
            deletionDate = try await service.scheduleKeyDeletion(keyID: keyID.description, pendingWindowInDays: 7, context: admin).deletionDate
            try await expectPendingDeletion(keyID, blob: blob, deletionDate: deletionDate, in: fixture)
        } then: { restarted in
            try await expectPendingDeletion(keyID, blob: blob, deletionDate: deletionDate, in: restarted)
            let cancelled = try await restarted.service.cancelKeyDeletion(keyID: keyID.description, context: admin)
            #expect(cancelled.keyState == .disabled)
            #expect(cancelled.deletionDate == nil)
            #expect(await errorCode { try await restarted.service.cancelKeyDeletion(keyID: keyID.description, context: admin) } == .invalidState)
            // Cancelled, the window passing destroys nothing.
            restarted.clock.advance(days: 8)
            #expect(try await restarted.service.runDueWork(now: restarted.clock.now) == DueWorkReport())
            #expect(await errorCode { try await restarted.service.decryptText(blob) } == .keyDisabled)
            try await restarted.service.enableKey(keyID: keyID.description, context: admin)
            #expect(try await restarted.service.decryptText(blob) == "kept")
        }
    }

    private func expectPendingDeletion(_ keyID: KeyID, blob: [UInt8], deletionDate: Date?, in fixture: ServiceFixture) async throws {
        let service = fixture.service
        let id = keyID.description
        let metadata = try await service.describeKey(keyID: id, context: admin)
        #expect(metadata.keyState == .pendingDeletion)
        #expect(metadata.deletionDate == deletionDate)
        #expect(deletionDate != nil)
        #expect(await errorCode { try await service.decryptText(blob) } == .keyPendingDeletion)
        #expect(await errorCode { try await service.encrypt("x", under: keyID) } == .keyPendingDeletion)
        #expect(await errorCode { try await service.generateDataKey(GenerateDataKeyRequest(keyID: id, keySpec: .aes256), context: admin) } == .keyPendingDeletion)
        #expect(await errorCode { try await service.reEncrypt(ReEncryptRequest(ciphertextBlob: blob, destinationKeyID: id), context: admin) } == .keyPendingDeletion)
        #expect(await errorCode { try await service.enableKey(keyID: id, context: admin) } == .keyPendingDeletion)
        #expect(await errorCode { try await service.scheduleKeyDeletion(keyID: id, pendingWindowInDays: 30, context: admin) } == .invalidState)
    }

    @Test func afterTheWindowTheJobDestroysEveryVersionForGood() async throws {
        var keyID = KeyID.random()
        var blobs: [[UInt8]] = []
        var wrapped: [[UInt8]] = []
        var deletionDate: Date?
        try await withRestartedService { fixture in
            let service = fixture.service
            keyID = try await fixture.createKey()
            let id = keyID.description
            let survivor = try await fixture.createKey()
            let survivorBlob = try await service.encrypt("survives", under: survivor).ciphertextBlob
            try await service.createAlias(name: "alias/doomed", targetKeyID: id, context: admin)
            for version in 1...3 {
                if version > 1 { _ = try await service.rotateKeyOnDemand(keyID: id, context: admin) }
                blobs.append(try await service.encrypt("v\(version)", under: keyID).ciphertextBlob)
                wrapped.append(try #require(try await fixture.store.keyVersion(keyID, version: KeyVersion(version))).wrappedMaterial)
            }
            let before = try fixture.allFileBytes()
            for material in wrapped { #expect(before.range(of: Data(material)) != nil, "the search must see the stored rows") }
            // Every version's material is cached now: destruction must drop it.
            for blob in blobs { _ = try await service.decryptText(blob) }

            deletionDate = try await service.scheduleKeyDeletion(keyID: "alias/doomed", pendingWindowInDays: 7, context: admin).deletionDate
            fixture.clock.advance(days: 6, seconds: 86_399)
            #expect(try await service.runDueWork(now: fixture.clock.now) == DueWorkReport())
            #expect(try await service.describeKey(keyID: id, context: admin).keyState == .pendingDeletion)
            fixture.clock.advance(days: 0, seconds: 1)
            #expect(try await service.runDueWork(now: fixture.clock.now) == DueWorkReport(destroyed: [keyID]))
            #expect(try await service.runDueWork(now: fixture.clock.now) == DueWorkReport(), "destroyed once")

            try await expectDestroyed(keyID, blobs: blobs, wrapped: wrapped, deletionDate: deletionDate, in: fixture)
            #expect(try await service.decryptText(survivorBlob) == "survives")
        } then: { restarted in
            try await expectDestroyed(keyID, blobs: blobs, wrapped: wrapped, deletionDate: deletionDate, in: restarted)
            restarted.clock.advance(days: 365)
            #expect(try await restarted.service.runDueWork(now: restarted.clock.now) == DueWorkReport())
        }
    }

    private func expectDestroyed(_ keyID: KeyID, blobs: [[UInt8]], wrapped: [[UInt8]], deletionDate: Date?, in fixture: ServiceFixture) async throws {
        let service = fixture.service
        let id = keyID.description
        for blob in blobs {
            #expect(await errorCode { try await service.decryptText(blob) } == .keyDestroyed)
            #expect(await errorCode { try await service.reEncrypt(ReEncryptRequest(ciphertextBlob: blob, destinationKeyID: id), context: admin) } == .keyDestroyed)
        }
        #expect(await errorCode { try await service.encrypt("x", under: keyID) } == .keyDestroyed)
        #expect(await errorCode { try await service.generateDataKeyWithoutPlaintext(GenerateDataKeyRequest(keyID: id, numberOfBytes: 32), context: admin) } == .keyDestroyed)

        let metadata = try await service.describeKey(keyID: "alias/doomed", context: admin)
        #expect(metadata.keyID == keyID)
        #expect(metadata.keyState == .destroyed)
        #expect(metadata.deletionDate == deletionDate)
        #expect(deletionDate != nil)
        let listed = try await service.listKeys(pageSize: 0, pageToken: "", context: admin).keys
        #expect(listed.first { $0.keyID == keyID }?.keyState == .destroyed)
        #expect(listed.count == 2)

        #expect(await errorCode { try await service.enableKey(keyID: id, context: admin) } == .keyDestroyed)
        #expect(await errorCode { try await service.disableKey(keyID: id, context: admin) } == .keyDestroyed)
        #expect(await errorCode { try await service.cancelKeyDeletion(keyID: id, context: admin) } == .invalidState)
        #expect(await errorCode { try await service.scheduleKeyDeletion(keyID: id, pendingWindowInDays: 7, context: admin) } == .invalidState)
        #expect(await errorCode { try await service.enableKeyRotation(keyID: id, rotationPeriodInDays: 90, context: admin) } == .invalidState)
        #expect(await errorCode { try await service.rotateKeyOnDemand(keyID: id, context: admin) } == .keyDestroyed)
        #expect(await errorCode { try await service.enableKeyVersion(keyID: id, version: 1, context: admin) } == .keyDestroyed)
        #expect(await errorCode { try await service.disableKeyVersion(keyID: id, version: 1, context: admin) } == .keyDestroyed)
        #expect(try await service.listKeyRotations(keyID: id, pageSize: 0, pageToken: "", context: admin).rotations.isEmpty)

        let files = try fixture.allFileBytes()
        #expect(!files.isEmpty)
        for (index, material) in wrapped.enumerated() {
            #expect(files.range(of: Data(material)) == nil, "version \(index + 1)'s wrapped material is still on disk")
        }
        for version in 1...KeyVersion(wrapped.count) {
            #expect(try await fixture.store.keyVersion(keyID, version: version) == nil)
        }
    }

    @Test func twoNodesRunningTheJobAtOnceDestroyAKeyOnce() async throws {
        try await withService { fixture in
            let second = try fixture.secondNode()
            let keyID = try await fixture.createKey()
            let blob = try await second.encrypt("x", under: keyID).ciphertextBlob
            _ = try await fixture.service.scheduleKeyDeletion(keyID: keyID.description, pendingWindowInDays: 7, context: admin)
            fixture.clock.advance(days: 7, seconds: 1)
            let now = fixture.clock.now
            async let fromFirst = fixture.service.runDueWork(now: now)
            async let fromSecond = second.runDueWork(now: now)
            let reports = try await [fromFirst, fromSecond]
            #expect(reports.flatMap(\.destroyed) == [keyID])
            // A node's cache may lag another node's destruction; a fresh node reads the store.
            #expect(await errorCode { try await fixture.secondNode().decryptText(blob) } == .keyDestroyed)
        }
    }
}
