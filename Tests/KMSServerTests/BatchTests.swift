import Foundation
import GRPCCore
import GRPCProtobuf
import KMSAudit
import KMSClient
import KMSProto
import SwiftProtobuf
import Testing

/// Batch calls: every item is checked, authorized and audited as the single call would
/// be, fails alone, and comes back in request order.
@Suite struct BatchTests {
    static func item(_ keyID: String, _ text: String) -> Kms_V1_EncryptRequest {
        .with { $0.keyID = keyID; $0.plaintext = Data(text.utf8); $0.encryptionContext = ["tenant": "acme"] }
    }

    /// The ErrorInfo reason of an item's status.
    static func reason(_ status: Google_Rpc_Status) throws -> String? {
        let decoded = try GoogleRPCStatus(serializedBytes: try status.serializedBytes() as [UInt8])
        return decoded.details.compactMap(\.errorInfo).first?.reason
    }

    @Test func itemsSucceedOrFailAloneInOrderAndEachLeavesItsOwnRecord() async throws {
        try await withWorld { world in
            let (keyID, encrypted, decrypted) = try await world.server.withClient(world.app) { client in
                let keyID = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                let encrypted = try await client.batchEncrypt(.with {
                    $0.requests = [Self.item(keyID, "first"), Self.item("00000000-0000-4000-8000-000000000000", "second"), Self.item(keyID, "third")]
                }).results
                let blobs = encrypted.map { $0.response.ciphertextBlob }
                let decrypted = try await client.batchDecrypt(.with {
                    $0.requests = blobs.map { blob in .with { $0.ciphertextBlob = blob; $0.encryptionContext = ["tenant": "acme"] } }
                }).results
                return (keyID, encrypted, decrypted)
            }
            #expect(encrypted.count == 3 && decrypted.count == 3)
            #expect(encrypted[0].response.keyID == keyID && encrypted[2].response.keyID == keyID)
            #expect(try Self.reason(encrypted[1].error) == "KEY_NOT_FOUND")
            #expect(encrypted[1].error.code == Int32(RPCError.Code.notFound.rawValue))
            #expect(decrypted[0].response.plaintext == Data("first".utf8))
            #expect(try Self.reason(decrypted[1].error) == "INVALID_CIPHERTEXT")
            #expect(decrypted[2].response.plaintext == Data("third".utf8))

            let records = try world.auditRecords().map(\.record)
            let batch = records.filter { $0.batchIndex != nil }
            #expect(batch.count == 6)
            let encryptItems = batch.prefix(3)
            #expect(encryptItems.map(\.action) == ["kms:Encrypt", "kms:Encrypt", "kms:Encrypt"])
            #expect(encryptItems.map(\.batchIndex) == [0, 1, 2])
            #expect(Set(encryptItems.map(\.requestID)).count == 1)
            #expect(encryptItems.map(\.outcome) == [.allowed, .failed, .allowed])
            #expect(encryptItems.map(\.reason) == [nil, "KEY_NOT_FOUND", nil])
            #expect(encryptItems.map(\.keyID) == [keyID, nil, keyID])
            #expect(batch.suffix(3).map(\.action) == ["kms:Decrypt", "kms:Decrypt", "kms:Decrypt"])
            #expect(batch.suffix(3).map(\.reason) == [nil, "INVALID_CIPHERTEXT", nil])
            #expect(records.count == 8, "CreateKey (intent and outcome) and one record per item, none for the batch calls themselves")
        }
    }

    @Test func eachItemIsAuthorizedOnItsOwn() async throws {
        try await withWorld { world in
            let (mine, theirs) = try await world.server.withClient(world.app) { client in
                (try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID,
                 try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID)
            }
            let denied = try await world.server.withClient(world.legacy) { client in
                try await client.batchEncrypt(.with { $0.requests = [Self.item(mine, "a"), Self.item(theirs, "b")] }).results
            }
            #expect(try denied.map { try Self.reason($0.error) } == ["ACCESS_DENIED", "ACCESS_DENIED"])
            let outcomes = try world.auditRecords().map(\.record).filter { $0.principal == AuditTrailTests.legacyPrincipal }.map(\.outcome)
            #expect(outcomes == [.denied, .denied])
        }
    }

    @Test func generatedDataKeysDecryptToTheirPlaintext() async throws {
        try await withWorld { world in
            try await world.server.withClient(world.app) { client in
                let keyID = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                let keys = try await client.batchGenerateDataKey(.with {
                    $0.requests = (0..<10).map { _ in .with { $0.keyID = keyID; $0.numberOfBytes = 32 } }
                }).results
                #expect(keys.count == 10 && Set(keys.map(\.response.plaintext)).count == 10)
                for key in keys {
                    let opened = try await client.decrypt(.with { $0.ciphertextBlob = key.response.ciphertextBlob })
                    #expect(opened.plaintext == key.response.plaintext && opened.plaintext.count == 32)
                }
            }
        }
    }

    @Test func batchLimitsAreEnforcedWithReasons() async throws {
        try await withWorld { world in
            try await world.server.withClient(world.app) { client in
                let keyID = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                let small = Self.item(keyID, "x")
                #expect(await failure { try await client.batchEncrypt(.with { $0.requests = Array(repeating: small, count: 1001) }) }
                    == RPCFailure(code: .resourceExhausted, reason: "LIMIT_EXCEEDED"))
                #expect(await failure { try await client.batchEncrypt(Kms_V1_BatchEncryptRequest()) }
                    == RPCFailure(code: .invalidArgument, reason: "VALIDATION"))
                let full = Kms_V1_EncryptRequest.with { $0.keyID = keyID; $0.plaintext = Data(count: 4096) }
                // 260 items of 4 KiB (1.03 MiB): beyond the 1 MiB batch limit, within the transport's.
                #expect(await failure { try await client.batchEncrypt(.with { $0.requests = Array(repeating: full, count: 260) }) }
                    == RPCFailure(code: .resourceExhausted, reason: "LIMIT_EXCEEDED"))
                // 1,000 small items, and 200 KiB in one batch (beyond the 64 KiB single-call limit), pass.
                let many = try await client.batchEncrypt(.with { $0.requests = Array(repeating: small, count: 1000) }).results
                #expect(many.count == 1000 && many.allSatisfy { $0.response.keyID == keyID })
                let large = try await client.batchEncrypt(.with { $0.requests = Array(repeating: full, count: 50) }).results
                #expect(large.count == 50 && large.allSatisfy { $0.response.keyID == keyID })
                // An oversize item fails alone.
                let oversize = Kms_V1_EncryptRequest.with { $0.keyID = keyID; $0.plaintext = Data(count: 4097) }
                let mixed = try await client.batchEncrypt(.with { $0.requests = [small, oversize, small] }).results
                #expect(try mixed.map { try Self.reason($0.error) } == [nil, "LIMIT_EXCEEDED", nil])
            }
            let whole = try world.auditRecords().map(\.record).filter { $0.action == "kms:BatchEncrypt" }.map(\.reason)
            #expect(whole == ["LIMIT_EXCEEDED", "VALIDATION", "LIMIT_EXCEEDED"], "a refused batch leaves one record for the call")
        }
    }
}
