import Foundation
import GRPCCore
import KMSClient
import KMSCore
import KMSCrypto
import KMSProto
import Testing

/// Scheduled deletion, crypto-shredding, rotation and per-version control over mutual TLS,
/// with the server's clock moved by the test and the background jobs run on demand.
@Suite struct RotationAndDeletionTests {
    static let day: TimeInterval = 86_400

    @Test func aScheduledDeletionRefusesCryptographyUntilCancelled() async throws {
        let clock = TestClock()
        try await withWorld(clock: clock) { world in
            let (keyID, blob, deletionDate) = try await world.server.withClient(world.app) { client in
                let key = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                let blob = try await client.encrypt(.with { $0.keyID = key; $0.plaintext = Data("kept".utf8) }).ciphertextBlob

                let scheduled = try await client.scheduleKeyDeletion(.with { $0.keyID = key; $0.pendingWindowInDays = 7 })
                #expect(scheduled.keyID == key)
                #expect(scheduled.keyState == .pendingDeletion)
                let deletionDate = scheduled.deletionTime.date
                #expect(abs(deletionDate.timeIntervalSince(clock.now) - 7 * Self.day) < 0.001)
                return (key, blob, deletionDate)
            }
            try await world.restart()
            try await world.server.withClient(world.app) { client in
                let metadata = try await client.describeKey(.with { $0.keyID = keyID }).keyMetadata
                #expect(metadata.keyState == .pendingDeletion)
                #expect(metadata.deletionTime.date == deletionDate)

                let pending = RPCFailure(code: .failedPrecondition, reason: "KEY_PENDING_DELETION")
                #expect(await failure { try await client.encrypt(.with { $0.keyID = keyID; $0.plaintext = Data("x".utf8) }) } == pending)
                #expect(await failure { try await client.decrypt(.with { $0.ciphertextBlob = blob }) } == pending)
                #expect(await failure { try await client.generateDataKey(.with { $0.keyID = keyID; $0.keySpec = .aes256 }) } == pending)
                #expect(await failure { try await client.reEncrypt(.with { $0.ciphertextBlob = blob; $0.destinationKeyID = keyID }) } == pending)
                #expect(await failure { try await client.rotateKeyOnDemand(.with { $0.keyID = keyID }) } == pending)
                #expect(await failure { try await client.enableKey(.with { $0.keyID = keyID }) } == pending)

                let invalidState = RPCFailure(code: .failedPrecondition, reason: "INVALID_STATE")
                #expect(await failure { try await client.scheduleKeyDeletion(.with { $0.keyID = keyID; $0.pendingWindowInDays = 30 }) } == invalidState)
                #expect(await failure { try await client.enableKeyRotation(.with { $0.keyID = keyID }) } == invalidState)

                let cancelled = try await client.cancelKeyDeletion(.with { $0.keyID = keyID })
                #expect(cancelled.keyID == keyID)
                #expect(await failure { try await client.cancelKeyDeletion(.with { $0.keyID = keyID }) } == invalidState)
            }
            try await world.restart()
            // The cancelled deletion stays cancelled after its date has passed and the job ran.
            clock.advance(days: 8)
            #expect(try await world.server.server.runBackgroundJobsNow().destroyed.isEmpty)
            try await world.server.withClient(world.app) { client in
                let metadata = try await client.describeKey(.with { $0.keyID = keyID }).keyMetadata
                #expect(metadata.keyState == .disabled)
                #expect(!metadata.hasDeletionTime)
                #expect(await failure { try await client.decrypt(.with { $0.ciphertextBlob = blob }) }
                    == RPCFailure(code: .failedPrecondition, reason: "KEY_DISABLED"))
                _ = try await client.enableKey(.with { $0.keyID = keyID })
                #expect(try await client.decrypt(.with { $0.ciphertextBlob = blob }).plaintext == Data("kept".utf8))
            }
        }
    }

    @Test func thePendingWindowIsSevenToThirtyDaysThirtyByDefault() async throws {
        let clock = TestClock()
        try await withWorld(clock: clock) { world in
            let other = try await world.server.withClient(world.app) { client in
                let key = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                for days: Int32 in [6, 31, -1, 365] {
                    #expect(await failure { try await client.scheduleKeyDeletion(.with { $0.keyID = key; $0.pendingWindowInDays = days }) }
                        == RPCFailure(code: .invalidArgument, reason: "VALIDATION"), "\(days) days")
                }
                #expect(try await client.describeKey(.with { $0.keyID = key }).keyMetadata.keyState == .enabled)

                let scheduled = try await client.scheduleKeyDeletion(.with { $0.keyID = key })
                #expect(abs(scheduled.deletionTime.date.timeIntervalSince(clock.now) - 30 * Self.day) < 0.001)
                #expect(await failure { try await client.scheduleKeyDeletion(.with { $0.keyID = UUID().uuidString.lowercased() }) }
                    == RPCFailure(code: .notFound, reason: "KEY_NOT_FOUND"))
                return try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
            }
            try await world.server.withClient(world.legacy) { client in
                // Only the key's creator (its default policy) and the admin may schedule its deletion.
                #expect(await failure { try await client.scheduleKeyDeletion(.with { $0.keyID = other; $0.pendingWindowInDays = 7 }) }
                    == RPCFailure(code: .permissionDenied, reason: "ACCESS_DENIED"))
            }
        }
    }

    @Test func everyVersionStillDecryptsAfterRotationsOnDemandAndByTheJob() async throws {
        let clock = TestClock()
        try await withWorld(clock: clock) { world in
            let plaintexts = (1...4).map { Data("made under version \($0)".utf8) }
            let (keyID, firstBlobs) = try await world.server.withClient(world.app) { client in
                let key = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                let first = try await client.encrypt(.with { $0.keyID = key; $0.plaintext = plaintexts[0] })
                #expect(first.keyVersion == 1)

                let rotated = try await client.rotateKeyOnDemand(.with { $0.keyID = key })
                #expect(rotated.keyID == key)
                #expect(rotated.currentKeyVersion == 2)
                let second = try await client.encrypt(.with { $0.keyID = key; $0.plaintext = plaintexts[1] })
                #expect(second.keyVersion == 2)

                _ = try await client.enableKeyRotation(.with { $0.keyID = key; $0.rotationPeriodInDays = 90 })
                let status = try await client.getKeyRotationStatus(.with { $0.keyID = key })
                #expect(status.enabled)
                #expect(status.rotationPeriodInDays == 90)
                #expect(abs(status.nextRotationTime.date.timeIntervalSince(clock.now) - 90 * Self.day) < 0.001)
                return (key, [first.ciphertextBlob, second.ciphertextBlob])
            }
            try await world.restart()

            // Not due yet: the job leaves the key alone.
            clock.advance(days: 89)
            #expect(try await world.server.server.runBackgroundJobsNow().rotated.isEmpty)
            clock.advance(days: 2)
            #expect(try await world.server.server.runBackgroundJobsNow().rotated.map(\.description) == [keyID])
            // One rotation per period, however often the job runs.
            #expect(try await world.server.server.runBackgroundJobsNow().rotated.isEmpty)

            let blobs = try await world.server.withClient(world.app) { client in
                #expect(try await client.describeKey(.with { $0.keyID = keyID }).keyMetadata.currentKeyVersion == 3)
                let status = try await client.getKeyRotationStatus(.with { $0.keyID = keyID })
                #expect(abs(status.nextRotationTime.date.timeIntervalSince(clock.now) - 90 * Self.day) < 0.001)
                let third = try await client.encrypt(.with { $0.keyID = keyID; $0.plaintext = plaintexts[2] })
                #expect(third.keyVersion == 3)
                #expect(try await client.rotateKeyOnDemand(.with { $0.keyID = keyID }).currentKeyVersion == 4)
                let fourth = try await client.encrypt(.with { $0.keyID = keyID; $0.plaintext = plaintexts[3] })
                #expect(fourth.keyVersion == 4)
                return firstBlobs + [third.ciphertextBlob, fourth.ciphertextBlob]
            }
            try await world.restart()

            try await world.server.withClient(world.app) { client in
                for (index, blob) in blobs.enumerated() {
                    let opened = try await client.decrypt(.with { $0.ciphertextBlob = blob })
                    #expect(opened.plaintext == plaintexts[index])
                    #expect(opened.keyVersion == UInt32(index + 1))
                }

                // ReEncrypt moves the oldest ciphertext to the newest version of the same key.
                let moved = try await client.reEncrypt(.with { $0.ciphertextBlob = blobs[0]; $0.destinationKeyID = keyID })
                #expect(moved.sourceKeyVersion == 1)
                #expect(moved.keyID == keyID)
                #expect(moved.keyVersion == 4)
                let reopened = try await client.decrypt(.with { $0.ciphertextBlob = moved.ciphertextBlob })
                #expect(reopened.plaintext == plaintexts[0])
                #expect(reopened.keyVersion == 4)

                var listed: [Kms_V1_KeyRotation] = []
                var token = ""
                repeat {
                    let page = try await client.listKeyRotations(.with { $0.keyID = keyID; $0.pageSize = 2; $0.pageToken = token })
                    #expect(page.rotations.count <= 2)
                    listed += page.rotations
                    token = page.nextPageToken
                } while !token.isEmpty
                #expect(listed.map(\.keyVersion) == [2, 3, 4])
                #expect(listed.map(\.rotationType) == [.onDemand, .automatic, .onDemand])

                _ = try await client.disableKeyRotation(.with { $0.keyID = keyID })
                #expect(try await client.getKeyRotationStatus(.with { $0.keyID = keyID }) == Kms_V1_GetKeyRotationStatusResponse())
            }
            clock.advance(days: 1000)
            #expect(try await world.server.server.runBackgroundJobsNow().rotated.isEmpty)
            try await world.server.withClient(world.app) { client in
                let metadata = try await client.describeKey(.with { $0.keyID = keyID }).keyMetadata
                #expect(metadata.currentKeyVersion == 4)
            }
        }
    }

    @Test func rotationRefusals() async throws {
        try await withWorld { world in
            let other = try await world.server.withClient(world.app) { client in
                let key = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                for days: Int32 in [89, 2561, -90] {
                    #expect(await failure { try await client.enableKeyRotation(.with { $0.keyID = key; $0.rotationPeriodInDays = days }) }
                        == RPCFailure(code: .invalidArgument, reason: "VALIDATION"), "\(days) days")
                }
                #expect(try await client.getKeyRotationStatus(.with { $0.keyID = key }).enabled == false)
                _ = try await client.enableKeyRotation(.with { $0.keyID = key })
                #expect(try await client.getKeyRotationStatus(.with { $0.keyID = key }).rotationPeriodInDays == 365)

                _ = try await client.disableKey(.with { $0.keyID = key })
                #expect(await failure { try await client.rotateKeyOnDemand(.with { $0.keyID = key }) }
                    == RPCFailure(code: .failedPrecondition, reason: "KEY_DISABLED"))
                #expect(try await client.describeKey(.with { $0.keyID = key }).keyMetadata.currentKeyVersion == 1)
                #expect(await failure { try await client.listKeyRotations(.with { $0.keyID = key; $0.pageSize = 1001 }) }
                    == RPCFailure(code: .invalidArgument, reason: "VALIDATION"))
                return try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
            }
            try await world.server.withClient(world.legacy) { client in
                let denied = RPCFailure(code: .permissionDenied, reason: "ACCESS_DENIED")
                #expect(await failure { try await client.rotateKeyOnDemand(.with { $0.keyID = other }) } == denied)
                #expect(await failure { try await client.enableKeyRotation(.with { $0.keyID = other }) } == denied)
                #expect(await failure { try await client.disableKeyVersion(.with { $0.keyID = other; $0.keyVersion = 1 }) } == denied)
            }
        }
    }

    @Test func aDisabledVersionRefusesToDecryptUntilEnabled() async throws {
        try await withWorld { world in
            let (keyID, old, new) = try await world.server.withClient(world.app) { client in
                let key = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                let old = try await client.encrypt(.with { $0.keyID = key; $0.plaintext = Data("old".utf8) }).ciphertextBlob
                _ = try await client.rotateKeyOnDemand(.with { $0.keyID = key })
                let new = try await client.encrypt(.with { $0.keyID = key; $0.plaintext = Data("new".utf8) }).ciphertextBlob

                _ = try await client.disableKeyVersion(.with { $0.keyID = key; $0.keyVersion = 1 })
                #expect(await failure { try await client.disableKeyVersion(.with { $0.keyID = key; $0.keyVersion = 2 }) }
                    == RPCFailure(code: .failedPrecondition, reason: "INVALID_STATE"))
                for version: UInt32 in [0, 3] {
                    #expect(await failure { try await client.disableKeyVersion(.with { $0.keyID = key; $0.keyVersion = version }) }
                        == RPCFailure(code: .notFound, reason: "KEY_VERSION_NOT_FOUND"), "version \(version)")
                    #expect(await failure { try await client.enableKeyVersion(.with { $0.keyID = key; $0.keyVersion = version }) }
                        == RPCFailure(code: .notFound, reason: "KEY_VERSION_NOT_FOUND"), "version \(version)")
                }
                return (key, old, new)
            }
            try await world.restart()
            try await world.server.withClient(world.app) { client in
                let disabled = RPCFailure(code: .failedPrecondition, reason: "KEY_VERSION_DISABLED")
                #expect(await failure { try await client.decrypt(.with { $0.ciphertextBlob = old }) } == disabled)
                #expect(await failure { try await client.reEncrypt(.with { $0.ciphertextBlob = old; $0.destinationKeyID = keyID }) } == disabled)
                // The rest of the key keeps working.
                #expect(try await client.decrypt(.with { $0.ciphertextBlob = new }).plaintext == Data("new".utf8))
                #expect(try await client.encrypt(.with { $0.keyID = keyID; $0.plaintext = Data("more".utf8) }).keyVersion == 2)

                _ = try await client.enableKeyVersion(.with { $0.keyID = keyID; $0.keyVersion = 1 })
                #expect(try await client.decrypt(.with { $0.ciphertextBlob = old }).plaintext == Data("old".utf8))
            }
            try await world.restart()
            try await world.server.withClient(world.app) { client in
                let opened = try await client.decrypt(.with { $0.ciphertextBlob = old })
                #expect(opened.plaintext == Data("old".utf8))
            }
        }
    }

    @Test func afterTheWindowTheJobShredsTheKeyForGood() async throws {
        let clock = TestClock()
        try await withWorld(clock: clock) { world in
            let (keyID, blobs, bystander, bystanderBlob) = try await world.server.withClient(world.app) { client in
                let key = try await client.createKey(.with { $0.description_p = "to shred" }).keyMetadata.keyID
                var blobs = [try await client.encrypt(.with { $0.keyID = key; $0.plaintext = Data("v1".utf8) }).ciphertextBlob]
                for version in 2...3 {
                    _ = try await client.rotateKeyOnDemand(.with { $0.keyID = key })
                    blobs.append(try await client.encrypt(.with { $0.keyID = key; $0.plaintext = Data("v\(version)".utf8) }).ciphertextBlob)
                }
                let bystander = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                let bystanderBlob = try await client.encrypt(.with { $0.keyID = bystander; $0.plaintext = Data("safe".utf8) }).ciphertextBlob
                return (key, blobs, bystander, bystanderBlob)
            }
            let scanner = try WrappedMaterialScanner(world: world, keyID: keyID)
            // The scan finds every version's wrapped material before the deletion, so its
            // finding nothing afterwards means something.
            #expect(try scanner.versionsFound() == [1, 2, 3])

            let deletionDate = try await world.server.withClient(world.app) { client in
                try await client.scheduleKeyDeletion(.with { $0.keyID = keyID; $0.pendingWindowInDays = 7 }).deletionTime.date
            }
            clock.advance(days: 7 - 1 / Self.day)
            #expect(try await world.server.server.runBackgroundJobsNow().destroyed.isEmpty, "one second early")
            try await world.restart()
            #expect(try scanner.versionsFound() == [1, 2, 3])

            clock.advance(days: 2 / Self.day)
            #expect(try await world.server.server.runBackgroundJobsNow().destroyed.map(\.description) == [keyID])
            // Right after the job, with the server still running: no copy in the database,
            // its write-ahead log or any other file of the data directory.
            #expect(try scanner.versionsFound() == [])
            try await expectDestroyed(world, keyID: keyID, blobs: blobs, deletionDate: deletionDate)

            try await world.restart()
            #expect(try scanner.versionsFound() == [])
            try await expectDestroyed(world, keyID: keyID, blobs: blobs, deletionDate: deletionDate)
            clock.advance(days: 30)
            #expect(try await world.server.server.runBackgroundJobsNow().destroyed.isEmpty)

            try await world.server.withClient(world.app) { client in
                let opened = try await client.decrypt(.with { $0.ciphertextBlob = bystanderBlob })
                #expect(opened.plaintext == Data("safe".utf8))
                #expect(try await client.describeKey(.with { $0.keyID = bystander }).keyMetadata.keyState == .enabled)
            }
        }
    }

    /// Checks what callers see of a destroyed key: it is listed and described, and every
    /// operation that needs its material or would change its state is refused.
    private func expectDestroyed(_ world: TestWorld, keyID: String, blobs: [Data], deletionDate: Date) async throws {
        try await world.server.withClient(world.app) { client in
            let destroyed = RPCFailure(code: .failedPrecondition, reason: "KEY_DESTROYED")
            for blob in blobs {
                #expect(await failure { try await client.decrypt(.with { $0.ciphertextBlob = blob }) } == destroyed)
            }
            #expect(await failure { try await client.encrypt(.with { $0.keyID = keyID; $0.plaintext = Data("x".utf8) }) } == destroyed)
            #expect(await failure { try await client.generateDataKey(.with { $0.keyID = keyID; $0.keySpec = .aes256 }) } == destroyed)
            #expect(await failure { try await client.rotateKeyOnDemand(.with { $0.keyID = keyID }) } == destroyed)
            #expect(await failure { try await client.enableKey(.with { $0.keyID = keyID }) } == destroyed)
            #expect(await failure { try await client.disableKeyVersion(.with { $0.keyID = keyID; $0.keyVersion = 1 }) } == destroyed)
            let invalidState = RPCFailure(code: .failedPrecondition, reason: "INVALID_STATE")
            #expect(await failure { try await client.cancelKeyDeletion(.with { $0.keyID = keyID }) } == invalidState)
            #expect(await failure { try await client.scheduleKeyDeletion(.with { $0.keyID = keyID; $0.pendingWindowInDays = 7 }) } == invalidState)

            let metadata = try await client.describeKey(.with { $0.keyID = keyID }).keyMetadata
            #expect(metadata.keyState == .destroyed)
            #expect(metadata.deletionTime.date == deletionDate)
            #expect(metadata.description_p == "to shred")
        }
        try await world.server.withClient(world.admin) { client in
            let keys = try await client.listKeys(.with { $0.pageSize = 1000 }).keys
            #expect(keys.first { $0.keyID == keyID }?.keyState == .destroyed)
        }
    }

    @Test func theJobLoopRunsOnItsOwn() async throws {
        let clock = TestClock()
        try await withWorld(clock: clock, jobIntervalSeconds: 1) { world in
            try await world.server.withClient(world.app) { client in
                let key = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                _ = try await client.enableKeyRotation(.with { $0.keyID = key; $0.rotationPeriodInDays = 90 })
                clock.advance(days: 91)
                var version: UInt32 = 1
                for _ in 0..<60 where version == 1 {
                    try await Task.sleep(for: .milliseconds(250))
                    version = try await client.describeKey(.with { $0.keyID = key }).keyMetadata.currentKeyVersion
                }
                #expect(version == 2)
            }
        }
    }
}

/// Finds copies of a key's wrapped material in the files of a server's data directory.
///
/// Wrapped material is `0x01 ‖ nonce ‖ ciphertext ‖ tag` (`RootKey.wrappedByteCount`, 61
/// bytes), sealed under the root key with AES-GCM and the key id and version as associated
/// data. So a 61-byte run that starts with 0x01 and unwraps under the root key for the key
/// id and version is a copy of that version's material, and nothing else can be (the tag
/// would not verify). Trying every offset of every file finds every copy, wherever SQLite
/// put it: table or freelist pages, the write-ahead log, a journal, anything else. The root
/// key comes from the root key file, as the server reads it.
struct WrappedMaterialScanner {
    let dataDirectory: URL
    let rootKey: RootKey
    let keyID: KeyID
    let versions: ClosedRange<KeyVersion> = 1...3

    init(world: TestWorld, keyID: String) throws {
        dataDirectory = world.dataDirectory
        let text = try String(contentsOfFile: world.server.configuration.rootKeyFile, encoding: .utf8)
        let bytes = try #require(Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)))
        rootKey = try RootKey(bytes: Array(bytes))
        self.keyID = try #require(KeyID(string: keyID))
    }

    /// The versions of which some file of the data directory holds a copy.
    func versionsFound() throws -> Set<KeyVersion> {
        var found: Set<KeyVersion> = []
        let files = try #require(FileManager.default.enumerator(at: dataDirectory, includingPropertiesForKeys: [.isRegularFileKey]))
        for case let url as URL in files where try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true {
            let bytes = [UInt8](try Data(contentsOf: url))
            let length = RootKey.wrappedByteCount
            guard bytes.count >= length else { continue }
            for start in 0...(bytes.count - length) where bytes[start] == 0x01 {
                let window = bytes[start..<(start + length)]
                for version in versions where (try? rootKey.unwrap(window, keyID: keyID, version: version)) != nil {
                    found.insert(version)
                }
            }
        }
        return found
    }
}
