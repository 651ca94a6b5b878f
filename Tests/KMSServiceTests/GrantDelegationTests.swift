import KMSCore
import KMSService
import Testing

/// A grantee that may create or retire grants only through a grant can never give or take
/// more than that grant: AWS KMS's rules for grants listing CreateGrant and RetireGrant.
@Suite struct GrantDelegationTests {
    let alice = ServiceFixture.alice
    let bob = ServiceFixture.bob
    let carol = ServiceFixture.carol

    /// One row: the parent grant alice holds, the grant she asks for, and whether she gets it.
    struct Delegation: Sendable, CustomTestStringConvertible {
        let parent: [String]
        var parentConstraints = GrantConstraints()
        let child: [String]
        var childConstraints = GrantConstraints()
        let allowed: Bool

        var testDescription: String {
            "\(parent) \(parentConstraints.short) → \(child) \(childConstraints.short): \(allowed ? "allowed" : "denied")"
        }
    }

    static let tenantA = ["tenant": "a"]
    static let delegations: [Delegation] = [
        // Operations: only a subset of the parent's.
        Delegation(parent: ["CreateGrant"], child: ["Decrypt"], allowed: false),
        Delegation(parent: ["CreateGrant"], child: ["Sign"], allowed: false),
        Delegation(parent: ["CreateGrant"], child: ["GenerateMac"], allowed: false),
        Delegation(parent: ["CreateGrant"], child: ["RetireGrant"], allowed: false),
        Delegation(parent: ["CreateGrant"], child: ["CreateGrant"], allowed: true),
        Delegation(parent: ["CreateGrant", "Decrypt"], child: ["Decrypt"], allowed: true),
        Delegation(parent: ["CreateGrant", "Decrypt"], child: ["Decrypt", "Encrypt"], allowed: false),
        Delegation(parent: ["CreateGrant", "Decrypt"], child: ["CreateGrant", "Decrypt"], allowed: true),
        Delegation(parent: ["CreateGrant", "Sign", "Verify"], child: ["Verify"], allowed: true),
        Delegation(parent: ["CreateGrant", "Verify"], child: ["Sign"], allowed: false),
        // encryption_context_equals: the child must carry the same pairs.
        Delegation(parent: ["CreateGrant", "Decrypt"], parentConstraints: .init(encryptionContextEquals: tenantA), child: ["Decrypt"], allowed: false),
        Delegation(
            parent: ["CreateGrant", "Decrypt"], parentConstraints: .init(encryptionContextEquals: tenantA),
            child: ["Decrypt"], childConstraints: .init(encryptionContextEquals: tenantA), allowed: true),
        Delegation(
            parent: ["CreateGrant", "Decrypt"], parentConstraints: .init(encryptionContextEquals: tenantA),
            child: ["Decrypt"], childConstraints: .init(encryptionContextEquals: ["tenant": "b"]), allowed: false),
        Delegation(
            parent: ["CreateGrant", "Decrypt"], parentConstraints: .init(encryptionContextEquals: tenantA),
            child: ["Decrypt"], childConstraints: .init(encryptionContextSubset: tenantA), allowed: false),
        Delegation(
            parent: ["CreateGrant", "Decrypt"], parentConstraints: .init(encryptionContextEquals: tenantA),
            child: ["Decrypt"], childConstraints: .init(encryptionContextEquals: ["tenant": "a", "app": "x"]), allowed: false),
        // encryption_context_subset: the child must require every pair too.
        Delegation(parent: ["CreateGrant", "Decrypt"], parentConstraints: .init(encryptionContextSubset: tenantA), child: ["Decrypt"], allowed: false),
        Delegation(
            parent: ["CreateGrant", "Decrypt"], parentConstraints: .init(encryptionContextSubset: tenantA),
            child: ["Decrypt"], childConstraints: .init(encryptionContextSubset: ["tenant": "a", "app": "x"]), allowed: true),
        Delegation(
            parent: ["CreateGrant", "Decrypt"], parentConstraints: .init(encryptionContextSubset: tenantA),
            child: ["Decrypt"], childConstraints: .init(encryptionContextSubset: ["app": "x"]), allowed: false),
        Delegation(
            parent: ["CreateGrant", "Decrypt"], parentConstraints: .init(encryptionContextSubset: tenantA),
            child: ["Decrypt"], childConstraints: .init(encryptionContextSubset: ["tenant": "b"]), allowed: false),
        Delegation(
            parent: ["CreateGrant", "Decrypt"], parentConstraints: .init(encryptionContextSubset: tenantA),
            child: ["Decrypt"], childConstraints: .init(encryptionContextEquals: tenantA), allowed: true),
        Delegation(
            parent: ["CreateGrant", "Decrypt"], parentConstraints: .init(encryptionContextSubset: tenantA),
            child: ["CreateGrant", "Decrypt"], childConstraints: .init(encryptionContextSubset: tenantA), allowed: true),
        Delegation(
            parent: ["CreateGrant", "Decrypt"], parentConstraints: .init(encryptionContextSubset: tenantA),
            child: ["Decrypt", "DescribeKey"], childConstraints: .init(encryptionContextSubset: tenantA), allowed: false),
        // An unconstrained parent may hand on stricter grants.
        Delegation(
            parent: ["CreateGrant", "Encrypt", "Decrypt"], child: ["Encrypt"], childConstraints: .init(encryptionContextSubset: tenantA),
            allowed: true),
    ]

    @Test(arguments: delegations)
    func aGrantOfCreateGrantGivesNoMoreThanItHolds(_ row: Delegation) async throws {
        try await withService { fixture in
            let keyID = try await fixture.adminOnlyKey()
            _ = try await fixture.grant(row.parent, on: keyID, to: alice, constraints: row.parentConstraints)
            let code = await errorCode {
                try await fixture.grant(row.child, on: keyID, to: bob, constraints: row.childConstraints, by: alice)
            }
            #expect(code == (row.allowed ? nil : .accessDenied))
            #expect(try await fixture.grantIDs(of: keyID).count == (row.allowed ? 2 : 1))
        }
    }

    @Test func aParentGrantCountsOnlyForItsGrantee() async throws {
        try await withService { fixture in
            let keyID = try await fixture.adminOnlyKey()
            _ = try await fixture.grant(["CreateGrant", "Decrypt"], on: keyID, to: alice)
            #expect(await errorCode { try await fixture.grant(["Decrypt"], on: keyID, to: carol, by: bob) } == .accessDenied)
            // Two grants held: the one that covers the request decides, not the first one.
            _ = try await fixture.grant(["CreateGrant", "Encrypt"], on: keyID, to: bob)
            _ = try await fixture.grant(["Encrypt"], on: keyID, to: carol, by: bob)
            #expect(await errorCode { try await fixture.grant(["Decrypt"], on: keyID, to: carol, by: bob) } == .accessDenied)
        }
    }

    @Test func aChildGrantIsBoundByItsConstraints() async throws {
        try await withService { fixture in
            let keyID = try await fixture.adminOnlyKey()
            _ = try await fixture.grant(
                ["CreateGrant", "Encrypt"], on: keyID, to: alice, constraints: .init(encryptionContextSubset: Self.tenantA)
            )
            // The parent's constraints do not apply to CreateGrant itself (it has no context).
            _ = try await fixture.grant(["Encrypt"], on: keyID, to: bob, constraints: .init(encryptionContextSubset: Self.tenantA), by: alice)
            #expect(await fixture.encryptCode(on: keyID, as: bob, context: Self.tenantA) == nil)
            #expect(await fixture.encryptCode(on: keyID, as: bob, context: ["tenant": "b"]) == .accessDenied)
            #expect(await fixture.encryptCode(on: keyID, as: bob) == .accessDenied)
        }
    }

    @Test func aPolicyThatAllowsCreateGrantIsNotLimitedByGrants() async throws {
        try await withService { fixture in
            let keyID = try await fixture.adminOnlyKey()
            _ = try await fixture.grant(["CreateGrant"], on: keyID, to: ServiceFixture.admin)
            _ = try await fixture.grant(["Decrypt", "Sign", "GenerateMac"], on: keyID, to: bob)
            #expect(try await fixture.grantIDs(of: keyID).count == 2)
        }
    }

    @Test func aGrantOfRetireGrantRetiresOnlyThatGrant() async throws {
        try await withService { fixture in
            let keyID = try await fixture.adminOnlyKey()
            let alicesGrant = try await fixture.grant(["RetireGrant", "Decrypt"], on: keyID, to: alice)
            let bobsGrant = try await fixture.grant(["Decrypt"], on: keyID, to: bob)
            let carolsGrant = try await fixture.grant(["Decrypt"], on: keyID, to: carol, retiring: bob)
            #expect(await errorCode {
                try await fixture.service.retireGrant(keyID: keyID, grantID: bobsGrant.grantID, grantToken: "", context: alice)
            } == .accessDenied)
            #expect(await errorCode {
                try await fixture.service.retireGrant(keyID: "", grantID: "", grantToken: carolsGrant.grantToken, context: alice)
            } == .accessDenied)
            #expect(try await fixture.grantIDs(of: keyID).count == 3)
            // Its grantee and a retiring principal keep their rights.
            try await fixture.service.retireGrant(keyID: keyID, grantID: alicesGrant.grantID, grantToken: "", context: alice)
            try await fixture.service.retireGrant(keyID: keyID, grantID: carolsGrant.grantID, grantToken: "", context: bob)
            #expect(try await fixture.grantIDs(of: keyID) == [bobsGrant.grantID])
        }
    }
}

extension GrantConstraints {
    /// `equals{…} subset{…}` for test names.
    fileprivate var short: String {
        "equals\(encryptionContextEquals.sorted { $0.key < $1.key }) subset\(encryptionContextSubset.sorted { $0.key < $1.key })"
    }
}
