import KMSCore
import KMSService
import Testing

/// Who may end a grant, by which identifier, and what listing shows.
@Suite struct GrantRetirementTests {
    let admin = ServiceFixture.admin
    let alice = ServiceFixture.alice
    let bob = ServiceFixture.bob

    @Test func theGranteeRetiresByKeyAndGrantID() async throws {
        try await withService { fixture in
            let keyID = try await fixture.adminOnlyKey()
            let grant = try await fixture.grant(["Encrypt"], on: keyID)
            try await fixture.service.retireGrant(keyID: keyID, grantID: grant.grantID, grantToken: "", context: alice)
            #expect(try await fixture.grantIDs(of: keyID).isEmpty)
            #expect(await errorCode {
                try await fixture.service.retireGrant(keyID: keyID, grantID: grant.grantID, grantToken: "", context: alice)
            } == .grantNotFound)
        }
    }

    @Test func theRetiringPrincipalRetiresByToken() async throws {
        try await withService { fixture in
            let keyID = try await fixture.adminOnlyKey()
            let grant = try await fixture.grant(["Encrypt"], on: keyID, retiring: bob)
            try await fixture.service.retireGrant(keyID: "", grantID: "", grantToken: grant.grantToken, context: bob)
            #expect(try await fixture.grantIDs(of: keyID).isEmpty)
            #expect(await fixture.encryptCode(on: keyID, as: alice) == .accessDenied)
        }
    }

    @Test func theGranteeRetiresByTokenWithItsKey() async throws {
        try await withService { fixture in
            let keyID = try await fixture.adminOnlyKey()
            let other = try await fixture.adminOnlyKey()
            let grant = try await fixture.grant(["Encrypt"], on: keyID)
            #expect(await errorCode {
                try await fixture.service.retireGrant(keyID: other, grantID: "", grantToken: grant.grantToken, context: alice)
            } == .grantNotFound)
            try await fixture.service.retireGrant(keyID: keyID, grantID: grant.grantID, grantToken: grant.grantToken, context: alice)
            #expect(try await fixture.grantIDs(of: keyID).isEmpty)
        }
    }

    @Test func kmsRetireGrantOnTheKeyRetiresAnyGrantOfIt() async throws {
        try await withService { fixture in
            let policy = """
            {"Statement": [
              {"Sid": "Admin", "Effect": "Allow", "Principal": "spiffe://test.example/admin", "Action": "kms:*", "Resource": "*"},
              {"Sid": "CarolRetires", "Effect": "Allow", "Principal": "spiffe://test.example/ns/app/carol", "Action": "kms:RetireGrant", "Resource": "*"}
            ]}
            """
            let keyID = try await fixture.createKey(policy: policy).description
            let byID = try await fixture.grant(["Encrypt"], on: keyID)
            let byToken = try await fixture.grant(["Decrypt"], on: keyID)
            try await fixture.service.retireGrant(keyID: keyID, grantID: byID.grantID, grantToken: "", context: ServiceFixture.carol)
            try await fixture.service.retireGrant(keyID: "", grantID: "", grantToken: byToken.grantToken, context: ServiceFixture.carol)
            #expect(try await fixture.grantIDs(of: keyID).isEmpty)
        }
    }

    @Test func othersCannotRetireEvenWithTheToken() async throws {
        try await withService { fixture in
            let keyID = try await fixture.adminOnlyKey()
            let grant = try await fixture.grant(["Encrypt"], on: keyID, retiring: bob)
            for stranger in [ServiceFixture.carol, ServiceFixture.mallory] {
                #expect(await errorCode {
                    try await fixture.service.retireGrant(keyID: "", grantID: "", grantToken: grant.grantToken, context: stranger)
                } == .accessDenied)
                #expect(await errorCode {
                    try await fixture.service.retireGrant(keyID: keyID, grantID: grant.grantID, grantToken: "", context: stranger)
                } == .accessDenied)
            }
            #expect(try await fixture.grantIDs(of: keyID) == [grant.grantID])
            #expect(await fixture.encryptCode(on: keyID, as: alice) == nil)
        }
    }

    @Test func retireGrantNeedsAGrantItCanFind() async throws {
        try await withService { fixture in
            let keyID = try await fixture.adminOnlyKey()
            let unknownID = String(repeating: "ab", count: 32)
            let cases: [(String, String, String, KMSError.Code)] = [
                ("", "", "", .validation),
                (keyID, "", "", .validation),
                ("", unknownID, "", .validation),
                (keyID, "not-hex", "", .validation),
                (keyID, unknownID, "", .grantNotFound),
                ("", "", "no-such-token", .grantNotFound),
                (KeyID.random().description, unknownID, "", .keyNotFound),
            ]
            for (key, id, token, expected) in cases {
                #expect(await errorCode {
                    try await fixture.service.retireGrant(keyID: key, grantID: id, grantToken: token, context: admin)
                } == expected, "\(key) \(id) \(token)")
            }
        }
    }

    @Test func revokeNeedsKmsRevokeGrant() async throws {
        try await withService { fixture in
            let keyID = try await fixture.adminOnlyKey()
            let grant = try await fixture.grant(["Encrypt"], on: keyID, retiring: bob)
            for caller in [alice, bob, ServiceFixture.mallory] {
                #expect(await errorCode { try await fixture.service.revokeGrant(keyID: keyID, grantID: grant.grantID, context: caller) } == .accessDenied)
            }
            #expect(await errorCode { try await fixture.service.revokeGrant(keyID: keyID, grantID: "", context: admin) } == .validation)
            let other = try await fixture.adminOnlyKey()
            #expect(await errorCode { try await fixture.service.revokeGrant(keyID: other, grantID: grant.grantID, context: admin) } == .grantNotFound)
            try await fixture.service.revokeGrant(keyID: keyID, grantID: grant.grantID, context: admin)
            #expect(try await fixture.grantIDs(of: keyID).isEmpty)
            #expect(await errorCode { try await fixture.service.revokeGrant(keyID: keyID, grantID: grant.grantID, context: admin) } == .grantNotFound)
        }
    }

    @Test func listGrantsFiltersAndPages() async throws {
        try await withService { fixture in
            let keyID = try await fixture.adminOnlyKey()
            var created: [String] = []
            for _ in 0..<3 { created.append(try await fixture.grant(["Encrypt"], on: keyID).grantID) }
            let bobs = try await fixture.grant(["Decrypt"], on: keyID, to: bob).grantID
            created.append(bobs)

            var seen: [String] = []
            var token = ""
            repeat {
                let page = try await fixture.service.listGrants(keyID: keyID, grantID: "", granteePrincipal: "", pageSize: 2, pageToken: token, context: admin)
                #expect(page.grants.count <= 2)
                seen += page.grants.map(\.grantID)
                token = page.nextPageToken
            } while !token.isEmpty
            #expect(seen == created.sorted())

            let forBob = try await fixture.service.listGrants(
                keyID: keyID, grantID: "", granteePrincipal: bob.principal.name, pageSize: 0, pageToken: "", context: admin
            )
            #expect(forBob.grants.map(\.grantID) == [bobs])
            #expect(await errorCode {
                try await fixture.service.listGrants(keyID: keyID, grantID: "", granteePrincipal: "", pageSize: 0, pageToken: "", context: alice)
            } == .accessDenied)
            #expect(await errorCode {
                try await fixture.service.listGrants(keyID: keyID, grantID: "", granteePrincipal: "", pageSize: 0, pageToken: "bogus", context: admin)
            } == .validation)
        }
    }

    @Test func listRetirableGrantsListsTheRetiringPrincipalsGrants() async throws {
        try await withService { fixture in
            let first = try await fixture.adminOnlyKey()
            let second = try await fixture.adminOnlyKey()
            let a = try await fixture.grant(["Encrypt"], on: first, retiring: bob).grantID
            let b = try await fixture.grant(["Decrypt"], on: second, retiring: bob).grantID
            _ = try await fixture.grant(["Decrypt"], on: second, retiring: ServiceFixture.carol)
            let page = try await fixture.service.listRetirableGrants(retiringPrincipal: bob.principal.name, pageSize: 0, pageToken: "", context: admin)
            #expect(page.grants.map(\.grantID) == [a, b].sorted())
            #expect(page.nextPageToken.isEmpty)
            #expect(await errorCode {
                try await fixture.service.listRetirableGrants(retiringPrincipal: bob.principal.name, pageSize: 0, pageToken: "", context: bob)
            } == .accessDenied)
            #expect(await errorCode {
                try await fixture.service.listRetirableGrants(retiringPrincipal: "", pageSize: 0, pageToken: "", context: admin)
            } == .validation)
        }
    }
}
