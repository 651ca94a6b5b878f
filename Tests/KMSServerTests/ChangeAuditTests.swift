import Foundation
import GRPCCore
import KMSAudit
import KMSClient
import KMSProto
import Testing

/// Every change leaves its audit record before it is committed (an intent record, then the
/// outcome record with the same request id), and the background jobs record their own
/// changes under the job's principal.
@Suite struct ChangeAuditTests {
    /// Runs one traced call and returns its request id.
    static func call<Message: Sendable>(
        _ type: Message.Type,
        _ invoke: (@Sendable @escaping (ClientResponse<Message>) async throws -> Traced<Message>) async throws -> Traced<Message>
    ) async throws -> String {
        let traced = await traced(type, invoke)
        _ = try traced.result.get()
        return try #require(traced.requestID)
    }

    @Test func eachChangeHasAnIntentRecordBeforeItsOutcome() async throws {
        try await withWorld { world in
            let (keyID, requests) = try await world.server.withClient(world.app) { client in
                var requests: [(action: String, id: String)] = []
                let created = await traced(Kms_V1_CreateKeyResponse.self) { try await client.createKey(Kms_V1_CreateKeyRequest(), onResponse: $0) }
                let keyID = try created.result.get().keyMetadata.keyID
                requests.append(("kms:CreateKey", try #require(created.requestID)))
                func record<M: Sendable>(_ action: String, _ type: M.Type, _ invoke: (@Sendable @escaping (ClientResponse<M>) async throws -> Traced<M>) async throws -> Traced<M>) async throws {
                    requests.append((action, try await Self.call(type, invoke)))
                }
                try await record("kms:TagResource", Kms_V1_TagResourceResponse.self) {
                    try await client.tagResource(.with { $0.keyID = keyID; $0.tags = ["team": "a"] }, onResponse: $0)
                }
                try await record("kms:CreateAlias", Kms_V1_CreateAliasResponse.self) {
                    try await client.createAlias(.with { $0.aliasName = "alias/change-audit"; $0.targetKeyID = keyID }, onResponse: $0)
                }
                try await record("kms:DisableKey", Kms_V1_DisableKeyResponse.self) { try await client.disableKey(.with { $0.keyID = keyID }, onResponse: $0) }
                try await record("kms:EnableKey", Kms_V1_EnableKeyResponse.self) { try await client.enableKey(.with { $0.keyID = keyID }, onResponse: $0) }
                try await record("kms:RotateKeyOnDemand", Kms_V1_RotateKeyOnDemandResponse.self) {
                    try await client.rotateKeyOnDemand(.with { $0.keyID = keyID }, onResponse: $0)
                }
                try await record("kms:CreateGrant", Kms_V1_CreateGrantResponse.self) {
                    try await client.createGrant(.with { $0.keyID = keyID; $0.granteePrincipal = "CN=x"; $0.operations = ["Decrypt"] }, onResponse: $0)
                }
                let policy = try await client.getKeyPolicy(.with { $0.keyID = keyID }).policy
                try await record("kms:PutKeyPolicy", Kms_V1_PutKeyPolicyResponse.self) {
                    try await client.putKeyPolicy(.with { $0.keyID = keyID; $0.policy = policy }, onResponse: $0)
                }
                try await record("kms:ScheduleKeyDeletion", Kms_V1_ScheduleKeyDeletionResponse.self) {
                    try await client.scheduleKeyDeletion(.with { $0.keyID = keyID; $0.pendingWindowInDays = 7 }, onResponse: $0)
                }
                try await record("kms:CancelKeyDeletion", Kms_V1_CancelKeyDeletionResponse.self) {
                    try await client.cancelKeyDeletion(.with { $0.keyID = keyID }, onResponse: $0)
                }
                return (keyID, requests)
            }
            let records = try world.auditRecords()
            for (action, requestID) in requests {
                let mine = records.filter { $0.record.requestID == requestID }
                #expect(mine.map(\.record.outcome) == [.intent, .allowed], "\(action)")
                #expect(mine.allSatisfy { $0.record.action == action && $0.record.keyID == keyID }, "\(action)")
                #expect(mine.allSatisfy { $0.record.principal == TestPKI.appID }, "\(action)")
            }
            // Reads leave one record, no intent.
            #expect(records.filter { $0.record.action == "kms:GetKeyPolicy" }.map(\.record.outcome) == [.allowed])
        }
    }

    @Test func aRefusedChangeLeavesNoIntent() async throws {
        try await withWorld { world in
            let keyID = try await world.server.withClient(world.app) { client in
                try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
            }
            let requestID = try await world.server.withClient(world.legacy) { client in
                let traced = await traced(Kms_V1_DisableKeyResponse.self) { try await client.disableKey(.with { $0.keyID = keyID }, onResponse: $0) }
                return traced.requestID
            }
            let record = try world.onlyAuditRecord(requestID: requestID)
            #expect(record.outcome == .denied)
            #expect(try world.auditRecords(requestID: #require(requestID)).count == 1)
        }
    }

    @Test func backgroundJobsRecordRotationAndDestructionUnderTheJobPrincipal() async throws {
        let clock = TestClock()
        try await withWorld(clock: clock) { world in
            let (rotated, deleted) = try await world.server.withClient(world.app) { client in
                let rotated = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                _ = try await client.enableKeyRotation(.with { $0.keyID = rotated; $0.rotationPeriodInDays = 90 })
                let deleted = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                _ = try await client.scheduleKeyDeletion(.with { $0.keyID = deleted; $0.pendingWindowInDays = 7 })
                return (rotated, deleted)
            }
            clock.advance(days: 91)
            let report = try await world.server.server.runBackgroundJobsNow()
            #expect(report.rotated.map(\.description) == [rotated])
            #expect(report.destroyed.map(\.description) == [deleted])
            // A run with nothing due records nothing.
            let before = try world.auditRecords().count
            _ = try await world.server.server.runBackgroundJobsNow()
            #expect(try world.auditRecords().count == before)

            let records = try world.auditRecords().map(\.record)
            let rotation = records.filter { $0.principal == "kmsd:job/rotation" }
            #expect(rotation.map(\.outcome) == [.intent, .allowed])
            #expect(rotation.allSatisfy { $0.action == "kms:RotateKey" && $0.keyID == rotated && $0.source == nil })
            #expect(rotation.last?.keyVersion == 2)
            #expect(Set(rotation.map(\.requestID)).count == 1)
            let destruction = records.filter { $0.principal == "kmsd:job/destruction" }
            #expect(destruction.map(\.outcome) == [.intent, .allowed])
            #expect(destruction.allSatisfy { $0.action == "kms:DeleteKey" && $0.keyID == deleted })
            if case .broken(let path, let line, let problem) = try world.verifyAudit() {
                Issue.record("the chain is broken at \(path):\(line): \(problem)")
            }
        }
    }
}
