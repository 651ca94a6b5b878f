import Foundation
import GRPCCore
import KMSAudit
import KMSClient
import KMSProto
import Testing

/// Every call leaves exactly one audit record, written before its response, with the
/// fields an auditor needs and no secrets.
@Suite struct AuditTrailTests {
    static let plaintext = Data("audit-e2e plaintext 7f3a".utf8)
    static let tenant = "tenant-value-9c41"
    static let legacyPrincipal = "CN=legacy-app,O=Example"

    static func encryptRequest(_ keyID: String, tenant: String = tenant) -> Kms_V1_EncryptRequest {
        .with { $0.keyID = keyID; $0.plaintext = plaintext; $0.encryptionContext = ["tenant": tenant] }
    }

    @Test func allowedDeniedAndFailedCallsEachLeaveOneRecordWithTheirFields() async throws {
        try await withWorld { world in try await Self.checkRecordsOfEachOutcome(world) }
    }

    static func checkRecordsOfEachOutcome(_ world: TestWorld) async throws {
        let (keyID, grantID) = try await world.server.withClient(world.app) { client in
            let keyID = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
            _ = try await client.createAlias(.with { $0.aliasName = "alias/audit-e2e"; $0.targetKeyID = keyID })
            let grant = try await client.createGrant(.with {
                $0.keyID = keyID
                $0.granteePrincipal = Self.legacyPrincipal
                $0.operations = ["Decrypt"]
            })
            return (keyID, grant.grantID)
        }
        let app = try await world.server.withClient(world.app) { client in try await AppCalls(client, keyID: keyID) }
        let legacy = try await world.server.withClient(world.legacy) { client in try await LegacyCalls(client, keyID: keyID, blob: app.blob) }
        #expect(try legacy.granted.result.get().plaintext == Self.plaintext)
        let only = { (requestID: String?) throws -> AuditRecord in try world.onlyAuditRecord(requestID: requestID) }
        let allowedRecord = try only(app.allowed.requestID)
        #expect(allowedRecord.principal == TestPKI.appID)
        #expect(allowedRecord.source == "127.0.0.1")
        #expect(allowedRecord.action == "kms:Encrypt")
        #expect(allowedRecord.keyID == keyID && allowedRecord.keyVersion == 1)
        #expect(allowedRecord.outcome == .allowed && allowedRecord.reason == nil)
        #expect(allowedRecord.encryptionContextKeys == ["tenant"])
        #expect(allowedRecord.encryptionContextHMAC?.count == 64 && allowedRecord.encryptionContext == nil)
        #expect(allowedRecord.alias == nil && allowedRecord.grantID == nil)

        let aliasRecord = try only(app.viaAlias.requestID)
        #expect(aliasRecord.alias == "alias/audit-e2e" && aliasRecord.keyID == keyID && aliasRecord.outcome == .allowed)
        #expect(aliasRecord.encryptionContextHMAC == allowedRecord.encryptionContextHMAC, "equal contexts give equal HMACs")

        let deniedRecord = try only(legacy.denied.requestID)
        #expect(deniedRecord.principal == Self.legacyPrincipal && deniedRecord.action == "kms:Encrypt")
        #expect(deniedRecord.keyID == keyID && deniedRecord.outcome == .denied && deniedRecord.reason == "ACCESS_DENIED")

        let failedRecord = try only(app.wrongContext.requestID)
        #expect(failedRecord.action == "kms:Decrypt" && failedRecord.keyID == keyID && failedRecord.keyVersion == 1)
        #expect(failedRecord.outcome == .failed && failedRecord.reason == "INVALID_CIPHERTEXT")
        #expect(failedRecord.encryptionContextHMAC != allowedRecord.encryptionContextHMAC)

        let missingRecord = try only(app.missingKey.requestID)
        #expect(missingRecord.outcome == .failed && missingRecord.reason == "KEY_NOT_FOUND" && missingRecord.keyID == nil)

        let oversizeRecord = try only(app.oversize.requestID)
        #expect(oversizeRecord.outcome == .failed && oversizeRecord.reason == "LIMIT_EXCEEDED")

        let grantedRecord = try only(legacy.granted.requestID)
        #expect(grantedRecord.principal == Self.legacyPrincipal && grantedRecord.action == "kms:Decrypt")
        #expect(grantedRecord.grantID == grantID && grantedRecord.outcome == .allowed && grantedRecord.keyVersion == 1)

        // 3 set-up changes (an intent and an outcome record each) and 7 traced calls (one
        // record each), nothing else.
        let records = try world.auditRecords()
        #expect(records.count == 13)
        #expect(records.map(\.sequence) == Array(1...13))
        #expect(Set(records.map(\.record.requestID)).count == 10)
        #expect(records.filter { $0.record.outcome == .intent }.map(\.record.action) == ["kms:CreateKey", "kms:CreateAlias", "kms:CreateGrant"])
        #expect(try world.verifyAudit() == .intact(records: 13, head: AuditChainHead(sequence: 13, hash: records[12].hash)))
    }

    /// The app's calls: allowed, through an alias, failing three ways.
    struct AppCalls: Sendable {
        let allowed: Traced<Kms_V1_EncryptResponse>
        let blob: Data
        let viaAlias: Traced<Kms_V1_EncryptResponse>
        let wrongContext: Traced<Kms_V1_DecryptResponse>
        let missingKey: Traced<Kms_V1_EncryptResponse>
        let oversize: Traced<Kms_V1_EncryptResponse>

        init(_ client: KMSServiceClient, keyID: String) async throws {
            allowed = await traced(Kms_V1_EncryptResponse.self) { try await client.encrypt(AuditTrailTests.encryptRequest(keyID), onResponse: $0) }
            let blob = try allowed.result.get().ciphertextBlob
            self.blob = blob
            viaAlias = await traced(Kms_V1_EncryptResponse.self) {
                try await client.encrypt(AuditTrailTests.encryptRequest("alias/audit-e2e"), onResponse: $0)
            }
            let wrong = Kms_V1_DecryptRequest.with { $0.ciphertextBlob = blob; $0.encryptionContext = ["tenant": "other"] }
            wrongContext = await traced(Kms_V1_DecryptResponse.self) { try await client.decrypt(wrong, onResponse: $0) }
            missingKey = await traced(Kms_V1_EncryptResponse.self) {
                try await client.encrypt(AuditTrailTests.encryptRequest("00000000-0000-4000-8000-000000000000"), onResponse: $0)
            }
            let large = Kms_V1_EncryptRequest.with { $0.keyID = keyID; $0.plaintext = Data(count: 70_000) }
            oversize = await traced(Kms_V1_EncryptResponse.self) { try await client.encrypt(large, onResponse: $0) }
        }
    }

    /// The legacy app's calls: one denied, one allowed by a grant.
    struct LegacyCalls: Sendable {
        let denied: Traced<Kms_V1_EncryptResponse>
        let granted: Traced<Kms_V1_DecryptResponse>

        init(_ client: KMSServiceClient, keyID: String, blob: Data) async throws {
            denied = await traced(Kms_V1_EncryptResponse.self) { try await client.encrypt(AuditTrailTests.encryptRequest(keyID), onResponse: $0) }
            let request = Kms_V1_DecryptRequest.with { $0.ciphertextBlob = blob; $0.encryptionContext = ["tenant": AuditTrailTests.tenant] }
            granted = await traced(Kms_V1_DecryptResponse.self) { try await client.decrypt(request, onResponse: $0) }
        }
    }

    @Test func auditFilesHoldNoPlaintextDataKeysCiphertextsOrContextValues() async throws {
        try await withWorld { world in
            let secrets: [Data] = try await world.server.withClient(world.app) { client in
                let keyID = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                let blob = try await client.encrypt(Self.encryptRequest(keyID)).ciphertextBlob
                let opened = try await client.decrypt(.with { $0.ciphertextBlob = blob; $0.encryptionContext = ["tenant": Self.tenant] })
                let dataKey = try await client.generateDataKey(.with {
                    $0.keyID = keyID; $0.numberOfBytes = 32; $0.encryptionContext = ["tenant": Self.tenant]
                })
                return [opened.plaintext, blob, dataKey.plaintext, dataKey.ciphertextBlob, Data(Self.tenant.utf8)]
            }
            let random = try await world.server.withClient(world.admin) { client in
                try await client.generateRandom(.with { $0.numberOfBytes = 32 }).plaintext
            }
            let forms = (secrets + [random]).flatMap { [$0, Data($0.base64EncodedString().utf8), Data($0.map { String(format: "%02x", $0) }.joined().utf8)] }
            let files = try FileManager.default.contentsOfDirectory(atPath: world.auditDirectory.path)
            #expect(files.contains { $0.hasSuffix(".jsonl") })
            for name in files {
                let contents = try Data(contentsOf: world.auditDirectory.appendingPathComponent(name))
                for form in forms {
                    #expect(contents.range(of: form) == nil, "\(name) holds a secret (\(form.count) bytes)")
                }
            }
            // CreateKey (intent and outcome), Encrypt, Decrypt, GenerateDataKey, GenerateRandom.
            #expect(try world.auditRecords().count == 6)
        }
    }

    @Test func verifyFindsAnEditedDeletedOrSwappedRecordAtItsLine() async throws {
        try await withWorld { world in
            try await world.server.withClient(world.app) { client in
                let keyID = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                for _ in 0..<5 { _ = try await client.encrypt(Self.encryptRequest(keyID)) }
            }
            let original = try #require(try AuditFileSet.files(in: world.auditDirectory.path).first)
            let lines = try String(contentsOfFile: original.path, encoding: .utf8).split(separator: "\n").map(String.init)
            // CreateKey's intent and outcome records, then five Encrypt records.
            #expect(lines.count == 7)
            let copy = world.directory.appendingPathComponent("tampered.jsonl")
            func verify(_ tampered: [String]) throws -> AuditVerification {
                try (tampered.joined(separator: "\n") + "\n").write(to: copy, atomically: true, encoding: .utf8)
                return try AuditVerifier.verify(paths: [copy.path])
            }
            func brokenLine(_ verification: AuditVerification) -> Int? {
                if case .broken(_, let line, _) = verification { line } else { nil }
            }
            if case .intact(let count, _) = try verify(lines) { #expect(count == 7) } else { Issue.record("the untouched copy must verify") }

            var edited = lines
            edited[2] = edited[2].replacingOccurrences(of: TestPKI.appID, with: "spiffe://test.example/someone-else")
            #expect(brokenLine(try verify(edited)) == 3)

            var deleted = lines
            deleted.remove(at: 2)
            #expect(brokenLine(try verify(deleted)) == 3)

            var swapped = lines
            swapped.swapAt(2, 3)
            #expect(brokenLine(try verify(swapped)) == 3)
        }
    }

    @Test func aReadOnlyAuditDirectoryRefusesCallsUntilItIsWritableAgain() async throws {
        try await withWorld { world in
            let directory = world.auditDirectory.path
            let keyID = try await world.server.withClient(world.app) { client in
                let keyID = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                _ = try await client.encrypt(Self.encryptRequest(keyID))
                try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: directory)
                let unavailable = RPCFailure(code: .unavailable, reason: "AUDIT_UNAVAILABLE")
                let refusedEncrypt = await failure { try await client.encrypt(Self.encryptRequest(keyID)) }
                let refusedCreate = await failure { try await client.createKey(Kms_V1_CreateKeyRequest()) }
                let healthWhileFailing = try await world.server.healthStatus(world.app)
                try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory)
                #expect(refusedEncrypt == unavailable)
                #expect(refusedCreate == unavailable)
                #expect(healthWhileFailing == .notServing)
                // A health check probes the log: the status comes back with no KMS call.
                #expect(try await world.server.healthStatus(world.app) == .serving)

                // Service resumes without a restart.
                _ = try await client.encrypt(Self.encryptRequest(keyID))
                return keyID
            }
            let keys = try await world.server.withClient(world.admin) { client in
                try await client.listKeys(Kms_V1_ListKeysRequest()).keys
            }
            #expect(keys.map(\.keyID) == [keyID], "the refused CreateKey never ran")
            let records = try world.auditRecords()
            #expect(records.map(\.record.action) == ["kms:CreateKey", "kms:CreateKey", "kms:Encrypt", "kms:Encrypt", "kms:ListKeys"])
            #expect(records.map(\.record.outcome) == [.intent, .allowed, .allowed, .allowed, .allowed])
            #expect(records.map(\.sequence) == [1, 2, 3, 4, 5])
            if case .broken(let path, let line, let problem) = try world.verifyAudit() {
                Issue.record("the chain is broken at \(path):\(line): \(problem)")
            }
        }
    }

    @Test func listAuditEventsPagesThroughOneKeysRecordsForThoseTheServerPolicyAllows() async throws {
        try await withWorld { world in
            let keyID = try await world.server.withClient(world.app) { client in
                let keyID = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                let other = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                for _ in 0..<3 {
                    _ = try await client.encrypt(Self.encryptRequest(keyID))
                    _ = try await client.encrypt(Self.encryptRequest(other))
                }
                #expect(await failure { try await client.listAuditEvents(Kms_V1_ListAuditEventsRequest()) }
                    == RPCFailure(code: .permissionDenied, reason: "ACCESS_DENIED"))
                return keyID
            }
            try await world.server.withClient(world.admin) { client in
                var seen: [Kms_V1_AuditEvent] = []
                var token = ""
                repeat {
                    let page = try await client.listAuditEvents(.with { $0.keyID = keyID; $0.pageSize = 2; $0.pageToken = token })
                    #expect(page.events.count <= 2)
                    seen += page.events
                    token = page.nextPageToken
                } while !token.isEmpty
                #expect(seen.map(\.action) == ["kms:CreateKey", "kms:CreateKey", "kms:Encrypt", "kms:Encrypt", "kms:Encrypt"])
                #expect(seen.map(\.outcome) == ["intent", "allowed", "allowed", "allowed", "allowed"])
                #expect(seen.allSatisfy { $0.keyID == keyID && $0.principal == TestPKI.appID })
                #expect(seen.map(\.sequence) == seen.map(\.sequence).sorted())

                let denials = try await client.listAuditEvents(.with { $0.outcome = "denied" }).events
                #expect(denials.map(\.action) == ["kms:ListAuditEvents"])
                #expect(denials.first?.reason == "ACCESS_DENIED" && denials.first?.principal == TestPKI.appID)

                let invalid = RPCFailure(code: .invalidArgument, reason: "VALIDATION")
                #expect(await failure { try await client.listAuditEvents(.with { $0.outcome = "maybe" }) } == invalid)
                #expect(await failure { try await client.listAuditEvents(.with { $0.keyID = "alias/x" }) } == invalid)
                #expect(await failure { try await client.listAuditEvents(.with { $0.action = "Decrypt" }) } == invalid)
                #expect(await failure { try await client.listAuditEvents(.with { $0.pageSize = 1001 }) } == invalid)
                #expect(await failure { try await client.listAuditEvents(.with { $0.pageToken = "not-a-token" }) } == invalid)
            }
        }
    }
}
