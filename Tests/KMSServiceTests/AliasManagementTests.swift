import KMSCore
import KMSService
import Testing

/// Creating, updating and deleting aliases, and the rules for their names.
@Suite struct AliasManagementTests {
    let admin = ServiceFixture.admin

    @Test func createAnAliasAndRefuseADuplicate() async throws {
        try await withService { fixture in
            let service = fixture.service
            let first = try await fixture.createKey()
            let second = try await fixture.createKey().description
            let longest = "alias/" + String(repeating: "a", count: Limits.maxAliasNameCharacters - 6)
            for name in ["alias/app", "alias/App", "alias/team/app_v2-final", longest] {
                try await service.createAlias(name: name, targetKeyID: first.description, context: admin)
                #expect(try await service.describeKey(keyID: name, context: admin).keyID == first, "\(name)")
            }
            #expect(await errorCode { try await service.createAlias(name: "alias/app", targetKeyID: second, context: admin) } == .alreadyExists)
            #expect(await errorCode { try await service.createAlias(name: "alias/app", targetKeyID: first.description, context: admin) } == .alreadyExists)
            #expect(try await service.describeKey(keyID: "alias/app", context: admin).keyID == first)
        }
    }

    @Test(arguments: [
        "app",
        "",
        "alias/",
        "Alias/app",
        "alias/bad name",
        "alias/bad.name",
        "alias/bäd",
        "alias/" + String(repeating: "a", count: Limits.maxAliasNameCharacters - 5),
        "alias/kms/x",
        "alias/aws/x",
    ])
    func invalidNamesAreValidationErrors(name: String) async throws {
        try await withService { fixture in
            let service = fixture.service
            let keyID = try await fixture.createKey().description
            let errors = [
                await #expect(throws: KMSError.self) { try await service.createAlias(name: name, targetKeyID: keyID, context: admin) },
                await #expect(throws: KMSError.self) { try await service.updateAlias(name: name, targetKeyID: keyID, context: admin) },
                await #expect(throws: KMSError.self) { try await service.deleteAlias(name: name, context: admin) },
            ]
            for error in errors {
                #expect(error?.code == .validation)
                #expect(error?.message.hasPrefix("alias_name") == true)
                if name.hasPrefix("alias/kms/") || name.hasPrefix("alias/aws/") { #expect(error?.message.contains("reserved") == true) }
            }
        }
    }

    @Test func theTargetMustBeAnExistingKeyID() async throws {
        try await withService { fixture in
            let service = fixture.service
            let keyID = try await fixture.createKey().description
            try await service.createAlias(name: "alias/app", targetKeyID: keyID, context: admin)
            for target in ["alias/app", "", "not-a-key"] {
                let created = await #expect(throws: KMSError.self) { try await service.createAlias(name: "alias/new", targetKeyID: target, context: admin) }
                #expect(created?.code == .validation)
                #expect(created?.message.hasPrefix("target_key_id") == true)
                #expect(await errorCode { try await service.updateAlias(name: "alias/app", targetKeyID: target, context: admin) } == .validation)
            }
            let missing = KeyID.random().description
            #expect(await errorCode { try await service.createAlias(name: "alias/new", targetKeyID: missing, context: admin) } == .keyNotFound)
            #expect(await errorCode { try await service.updateAlias(name: "alias/app", targetKeyID: missing, context: admin) } == .keyNotFound)
            #expect(try await service.describeKey(keyID: "alias/app", context: admin).keyID.description == keyID)
            #expect(await errorCode { try await service.describeKey(keyID: "alias/new", context: admin) } == .keyNotFound)
        }
    }

    @Test func updatingOrDeletingAMissingAliasIsAliasNotFound() async throws {
        try await withService { fixture in
            let service = fixture.service
            let keyID = try await fixture.createKey().description
            #expect(await errorCode { try await service.updateAlias(name: "alias/missing", targetKeyID: keyID, context: admin) } == .aliasNotFound)
            #expect(await errorCode { try await service.deleteAlias(name: "alias/missing", context: admin) } == .aliasNotFound)
            try await service.createAlias(name: "alias/once", targetKeyID: keyID, context: admin)
            try await service.deleteAlias(name: "alias/once", context: admin)
            #expect(await errorCode { try await service.deleteAlias(name: "alias/once", context: admin) } == .aliasNotFound)
            // The name is free again.
            let other = try await fixture.createKey()
            try await service.createAlias(name: "alias/once", targetKeyID: other.description, context: admin)
            #expect(try await service.describeKey(keyID: "alias/once", context: admin).keyID == other)
        }
    }

    @Test func aliasChangesSurviveARestart() async throws {
        var first = KeyID.random()
        var second = KeyID.random()
        try await withRestartedService { fixture in
            first = try await fixture.createKey()
            second = try await fixture.createKey()
            try await fixture.service.createAlias(name: "alias/kept", targetKeyID: first.description, context: admin)
            try await fixture.service.createAlias(name: "alias/moved", targetKeyID: first.description, context: admin)
            try await fixture.service.createAlias(name: "alias/dropped", targetKeyID: first.description, context: admin)
            try await fixture.service.updateAlias(name: "alias/moved", targetKeyID: second.description, context: admin)
            try await fixture.service.deleteAlias(name: "alias/dropped", context: admin)
        } then: { restarted in
            let service = restarted.service
            #expect(try await service.encrypt(EncryptRequest(keyID: "alias/kept", plaintext: .random(count: 8)), context: admin).keyID == first)
            #expect(try await service.encrypt(EncryptRequest(keyID: "alias/moved", plaintext: .random(count: 8)), context: admin).keyID == second)
            #expect(await errorCode { try await service.describeKey(keyID: "alias/dropped", context: admin) } == .keyNotFound)
            #expect(await errorCode { try await service.createAlias(name: "alias/kept", targetKeyID: second.description, context: admin) } == .alreadyExists)
            let listed = try await restarted.aliasListingService().listAliases(keyID: "", pageSize: 0, pageToken: "", context: admin)
            #expect(listed.aliases == [AliasEntry(name: "alias/kept", targetKeyID: first), AliasEntry(name: "alias/moved", targetKeyID: second)])
        }
    }
}
