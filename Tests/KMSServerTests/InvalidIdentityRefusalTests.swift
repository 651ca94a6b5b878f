import Foundation
import KMSAudit
import KMSClient
import KMSProto
import Testing

/// A client certificate that names no valid identity (several SPIFFE IDs, an invalid
/// SPIFFE ID) gets no principal over mutual TLS: every call is refused with
/// UNAUTHENTICATED / `INVALID_IDENTITY` and recorded, and the subject DN is never used.
@Suite struct InvalidIdentityRefusalTests {
    static let refused = RPCFailure(code: .unauthenticated, reason: "INVALID_IDENTITY")

    /// SPIFFE IDs of client certificates that must name nobody.
    static let invalidSANs: [[String]] = [
        ["spiffe://test.example/ns/a", "spiffe://test.example/ns/b"],
        ["spiffe://Test.Example/ns/payments/sa/api"],
        ["spiffe://test.example:443/ns/payments/sa/api"],
        ["spiffe://test.example/ns/../admin"],
    ]

    @Test(arguments: invalidSANs)
    func aCertificateWithAnInvalidIdentityIsRefusedAndRecorded(spiffeIDs: [String]) async throws {
        try await withWorld { world in
            // GetCallerIdentity answers any principal, so a fallback to the subject DN would show.
            let client = try world.pki.client("invalid-\(UUID())", spiffeIDs: spiffeIDs, organization: "Example")
            try await world.server.withClient(client) { client in
                #expect(await failure { try await client.getCallerIdentity(Kms_V1_GetCallerIdentityRequest()) } == Self.refused)
                #expect(await failure { try await client.createKey(Kms_V1_CreateKeyRequest()) } == Self.refused)
                let traced = await traced(Kms_V1_ListKeysResponse.self) {
                    try await client.listKeys(Kms_V1_ListKeysRequest(), onResponse: $0)
                }
                let record = try world.onlyAuditRecord(requestID: traced.requestID)
                #expect(record.action == "kms:ListKeys")
                #expect(record.principal == "")
                #expect(record.outcome == .failed && record.reason == "INVALID_IDENTITY")
            }
            #expect(try world.auditRecords().filter { $0.record.reason == "INVALID_IDENTITY" }.count == 3)
            #expect(try world.auditRecords().allSatisfy { $0.record.action != "kms:CreateKey" || $0.record.outcome != .allowed })
        }
    }

    @Test func aCertificateWithOneValidSPIFFEIDStillWorks() async throws {
        try await withWorld { world in
            let client = try world.pki.client("valid", spiffeIDs: ["spiffe://test.example/ns/ok"])
            try await world.server.withClient(client) { client in
                let identity = try await client.getCallerIdentity(Kms_V1_GetCallerIdentityRequest())
                #expect(identity.principal == "spiffe://test.example/ns/ok")
            }
        }
    }
}
