import KMSCore
import KMSService
import Testing

/// Who may run the operations that name a key, and what a missing key gives.
@Suite struct KeyOperationAccessTests {
    let admin = ServiceFixture.admin
    let alice = ServiceFixture.alice

    @Test(arguments: KeyOperation.allCases)
    func eachOperationNeedsItsOwnAction(operation: KeyOperation) async throws {
        try await withService { fixture in
            let policy = """
            {"Statement": [
              {"Sid": "Admin", "Effect": "Allow", "Principal": "spiffe://test.example/admin", "Action": "kms:*", "Resource": "*"},
              {"Sid": "One", "Effect": "Allow", "Principal": "spiffe://test.example/ns/app/alice", "Action": "\(operation.action.rawValue)", "Resource": "*"}
            ]}
            """
            let keyID = try await fixture.createKey(policy: policy).description
            try await fixture.service.createAlias(name: KeyOperation.existingAlias, targetKeyID: keyID, context: admin)
            try await operation.prepare(fixture.service, keyID: keyID, context: admin)
            try await operation.run(fixture.service, keyID: keyID, context: alice)
            for other in KeyOperation.allCases where other != operation {
                #expect(await errorCode { try await other.run(fixture.service, keyID: keyID, context: alice) } == .accessDenied, "\(other)")
            }
        }
    }

    @Test func aStrangerIsDeniedEveryOperationAndNothingChanges() async throws {
        try await withService { fixture in
            let keyID = try await fixture.service.createKey(CreateKeyRequest(description: "admin's", tags: ["team": "billing"]), context: admin).keyID
            let aliceKey = try await fixture.createKey(by: alice).description
            try await fixture.service.createAlias(name: KeyOperation.existingAlias, targetKeyID: keyID.description, context: admin)
            try await fixture.service.createAlias(name: "alias/alices", targetKeyID: aliceKey, context: alice)

            for operation in KeyOperation.allCases {
                #expect(await errorCode { try await operation.run(fixture.service, keyID: keyID.description, context: alice) } == .accessDenied, "\(operation)")
            }
            // Moving an alias needs the action on the current and on the new target.
            #expect(await errorCode {
                try await fixture.service.updateAlias(name: KeyOperation.existingAlias, targetKeyID: aliceKey, context: alice)
            } == .accessDenied)
            #expect(await errorCode {
                try await fixture.service.updateAlias(name: "alias/alices", targetKeyID: keyID.description, context: alice)
            } == .accessDenied)
            #expect(await errorCode { try await fixture.service.deleteAlias(name: KeyOperation.existingAlias, context: alice) } == .accessDenied)
            #expect(await errorCode { try await fixture.service.listAliases(keyID: "", pageSize: 0, pageToken: "", context: alice) } == .accessDenied)
            #expect(await errorCode { try await fixture.service.listAliases(keyID: "", pageSize: 0, pageToken: "", context: ServiceFixture.mallory) } == .accessDenied)

            let metadata = try await fixture.service.describeKey(keyID: KeyOperation.existingAlias, context: admin)
            #expect(metadata.keyID == keyID)
            #expect(metadata.keyState == .enabled)
            #expect(metadata.description == "admin's")
            #expect(try await fixture.service.listResourceTags(keyID: keyID.description, context: admin).tags == ["team": "billing"])
            #expect(try await fixture.service.describeKey(keyID: "alias/alices", context: alice).keyID.description == aliceKey)
            #expect(await errorCode { try await fixture.service.describeKey(keyID: "alias/new", context: admin) } == .keyNotFound)
        }
    }

    @Test(arguments: KeyOperation.allCases)
    func aMissingKeyIsKeyNotFound(operation: KeyOperation) async throws {
        try await withService { fixture in
            let keyID = try await fixture.createKey().description
            try await fixture.service.createAlias(name: KeyOperation.existingAlias, targetKeyID: keyID, context: admin)
            #expect(await errorCode { try await operation.run(fixture.service, keyID: KeyID.random().description, context: admin) } == .keyNotFound)
            // Alias targets must be key ids; elsewhere a missing alias is a missing key.
            let expected: KMSError.Code = operation.acceptsAlias ? .keyNotFound : .validation
            #expect(await errorCode { try await operation.run(fixture.service, keyID: "alias/missing", context: admin) } == expected)
            #expect(await errorCode { try await operation.run(fixture.service, keyID: "not-a-key", context: admin) } == .validation)
            #expect(await errorCode { try await operation.run(fixture.service, keyID: "", context: admin) } == .validation)
        }
    }
}
