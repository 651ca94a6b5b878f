import KMSCore
import KMSService
import Testing

/// Who may create which grants, and which requests are refused before anything is stored.
@Suite struct GrantCreationTests {
    let admin = ServiceFixture.admin
    let alice = ServiceFixture.alice
    let bob = ServiceFixture.bob

    @Test func grantOperationsAndGranteePrincipalConditionsLimitCreateGrant() async throws {
        try await withService { fixture in
            let policy = """
            {"Statement": [
              {"Sid": "Admin", "Effect": "Allow", "Principal": "spiffe://test.example/admin", "Action": "kms:*", "Resource": "*"},
              {"Sid": "AliceGrantsCryptoToApps", "Effect": "Allow", "Principal": "spiffe://test.example/ns/app/alice",
               "Action": "kms:CreateGrant", "Resource": "*",
               "Condition": {
                 "ForAllValues:StringEquals": {"kms:GrantOperations": ["Encrypt", "Decrypt"]},
                 "StringLike": {"kms:GranteePrincipal": "spiffe://test.example/ns/app/*"}}}
            ]}
            """
            let keyID = try await fixture.createKey(policy: policy).description
            _ = try await fixture.grant(["Decrypt"], on: keyID, to: bob, by: alice)
            #expect(try await fixture.decryptCode(on: keyID, as: bob) == nil)
            _ = try await fixture.grant(["Encrypt", "Decrypt"], on: keyID, to: ServiceFixture.carol, by: alice)

            #expect(await errorCode { try await fixture.grant(["Decrypt", "DescribeKey"], on: keyID, to: bob, by: alice) } == .accessDenied)
            #expect(await errorCode { try await fixture.grant(["CreateGrant"], on: keyID, to: bob, by: alice) } == .accessDenied)
            #expect(await errorCode { try await fixture.grant(["Decrypt"], on: keyID, to: ServiceFixture.mallory, by: alice) } == .accessDenied)
            #expect(await errorCode { try await fixture.grant(["Decrypt"], on: keyID, to: alice, by: bob) } == .accessDenied)
            #expect(try await fixture.grantIDs(of: keyID).count == 2)
        }
    }

    @Test func aGrantOfCreateGrantLetsTheGranteeCreateGrants() async throws {
        try await withService { fixture in
            let keyID = try await fixture.adminOnlyKey()
            _ = try await fixture.grant(["CreateGrant", "Encrypt"], on: keyID, to: alice)
            _ = try await fixture.grant(["Encrypt"], on: keyID, to: bob, by: alice)
            #expect(await fixture.encryptCode(on: keyID, as: bob) == nil)
            #expect(await errorCode { try await fixture.grant(["Encrypt"], on: keyID, to: alice, by: bob) } == .accessDenied)
        }
    }

    /// (operations, constraints, name, grantee, expected code)
    static let invalidRequests: [([String], GrantConstraints, String, String, KMSError.Code)] = [
        ([], GrantConstraints(), "", "spiffe://test.example/ns/app/alice", .validation),
        (["Frobnicate"], GrantConstraints(), "", "spiffe://test.example/ns/app/alice", .validation),
        (["PutKeyPolicy"], GrantConstraints(), "", "spiffe://test.example/ns/app/alice", .validation),
        (["kms:Decrypt"], GrantConstraints(), "", "spiffe://test.example/ns/app/alice", .validation),
        (["Decrypt"], GrantConstraints(), "", "", .validation),
        (["Decrypt", "Sign"], GrantConstraints(encryptionContextSubset: ["tenant": "acme"]), "", "spiffe://test.example/ns/app/alice", .validation),
        (["DescribeKey", "CreateGrant"], GrantConstraints(encryptionContextSubset: ["tenant": "acme"]), "", "spiffe://test.example/ns/app/alice", .validation),
        (["Decrypt"], GrantConstraints(encryptionContextEquals: ["tenant": ""]), "", "spiffe://test.example/ns/app/alice", .validation),
        (["Decrypt"], GrantConstraints(encryptionContextSubset: Dictionary(uniqueKeysWithValues: (0..<65).map { ("k\($0)", "v") })), "", "spiffe://test.example/ns/app/alice", .limitExceeded),
        (["Decrypt"], GrantConstraints(), "has space", "spiffe://test.example/ns/app/alice", .validation),
        (["Decrypt"], GrantConstraints(), String(repeating: "n", count: 257), "spiffe://test.example/ns/app/alice", .validation),
    ]

    @Test(arguments: invalidRequests)
    func invalidRequestsAreRefusedAndStoreNothing(
        operations: [String], constraints: GrantConstraints, name: String, grantee: String, expected: KMSError.Code
    ) async throws {
        try await withService { fixture in
            let keyID = try await fixture.adminOnlyKey()
            let request = CreateGrantRequest(keyID: keyID, granteePrincipal: grantee, operations: operations, constraints: constraints, name: name)
            #expect(await errorCode { try await fixture.service.createGrant(request, context: admin) } == expected)
            #expect(try await fixture.grantIDs(of: keyID).isEmpty)
        }
    }

    @Test func theLongestNameAndConstraintsOnCryptographicOperationsAreAccepted() async throws {
        try await withService { fixture in
            let keyID = try await fixture.adminOnlyKey()
            let constraints = GrantConstraints(encryptionContextEquals: ["tenant": "acme"], encryptionContextSubset: ["tenant": "acme"])
            _ = try await fixture.grant(
                ["Encrypt", "Decrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo"],
                on: keyID, constraints: constraints, name: String(repeating: "n", count: 256)
            )
            #expect(try await fixture.grantIDs(of: keyID).count == 1)
        }
    }

    @Test func aMissingKeyOrAStrangerGetsNoGrant() async throws {
        try await withService { fixture in
            let keyID = try await fixture.adminOnlyKey()
            #expect(await errorCode { try await fixture.grant(["Decrypt"], on: KeyID.random().description) } == .keyNotFound)
            #expect(await errorCode { try await fixture.grant(["Decrypt"], on: keyID, by: ServiceFixture.mallory) } == .accessDenied)
            #expect(try await fixture.grantIDs(of: keyID).isEmpty)
        }
    }

    @Test func grantsCanBeCreatedThroughAnAlias() async throws {
        try await withService { fixture in
            let keyID = try await fixture.adminOnlyKey()
            try await fixture.service.createAlias(name: "alias/orders", targetKeyID: keyID, context: admin)
            _ = try await fixture.grant(["Encrypt"], on: "alias/orders")
            #expect(await fixture.encryptCode(on: "alias/orders", as: alice) == nil)
            #expect(try await fixture.grantIDs(of: keyID).count == 1)
        }
    }
}
