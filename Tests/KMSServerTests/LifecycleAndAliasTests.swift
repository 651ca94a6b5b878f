import Foundation
import GRPCCore
import KMSClient
import KMSProto
import Testing

/// Key lifecycle, tags and aliases over mutual TLS, as a caller sees them.
@Suite struct LifecycleAndAliasTests {
    static let plaintext = Data("invoice 42".utf8)

    @Test func disabledKeyRefusesCryptographyUntilEnabledAcrossRestarts() async throws {
        try await withWorld { world in
            let (keyID, blob) = try await world.server.withClient(world.app) { client in
                let key = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                let blob = try await client.encrypt(.with { $0.keyID = key; $0.plaintext = Self.plaintext }).ciphertextBlob
                _ = try await client.disableKey(.with { $0.keyID = key })
                // Disabling twice changes nothing.
                _ = try await client.disableKey(.with { $0.keyID = key })
                return (key, blob)
            }
            try await world.restart()
            try await world.server.withClient(world.app) { client in
                #expect(try await client.describeKey(.with { $0.keyID = keyID }).keyMetadata.keyState == .disabled)
                #expect(await failure { try await client.encrypt(.with { $0.keyID = keyID; $0.plaintext = Self.plaintext }) }
                    == RPCFailure(code: .failedPrecondition, reason: "KEY_DISABLED"))
                #expect(await failure { try await client.decrypt(.with { $0.ciphertextBlob = blob }) }
                    == RPCFailure(code: .failedPrecondition, reason: "KEY_DISABLED"))
                #expect(await failure { try await client.generateDataKey(.with { $0.keyID = keyID; $0.keySpec = .aes256 }) }
                    == RPCFailure(code: .failedPrecondition, reason: "KEY_DISABLED"))
                // Metadata operations still work on a disabled key.
                _ = try await client.tagResource(.with { $0.keyID = keyID; $0.tags = ["state": "parked"] })
                _ = try await client.createAlias(.with { $0.aliasName = "alias/parked"; $0.targetKeyID = keyID })
                _ = try await client.updateKeyDescription(.with { $0.keyID = keyID; $0.description_p = "parked" })

                _ = try await client.enableKey(.with { $0.keyID = keyID })
                #expect(try await client.describeKey(.with { $0.keyID = keyID }).keyMetadata.keyState == .enabled)
                #expect(try await client.decrypt(.with { $0.ciphertextBlob = blob }).plaintext == Self.plaintext)
            }
            try await world.restart()
            try await world.server.withClient(world.app) { client in
                #expect(try await client.describeKey(.with { $0.keyID = keyID }).keyMetadata.keyState == .enabled)
                let sealed = try await client.encrypt(.with { $0.keyID = keyID; $0.plaintext = Self.plaintext })
                #expect(sealed.keyID == keyID)
            }
        }
    }

    @Test func disableAndEnableByAlias() async throws {
        try await withWorld { world in
            try await world.server.withClient(world.app) { client in
                let key = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                _ = try await client.createAlias(.with { $0.aliasName = "alias/switch"; $0.targetKeyID = key })
                _ = try await client.disableKey(.with { $0.keyID = "alias/switch" })
                #expect(try await client.describeKey(.with { $0.keyID = key }).keyMetadata.keyState == .disabled)
                #expect(await failure { try await client.encrypt(.with { $0.keyID = "alias/switch"; $0.plaintext = Self.plaintext }) }
                    == RPCFailure(code: .failedPrecondition, reason: "KEY_DISABLED"))
                _ = try await client.enableKey(.with { $0.keyID = "alias/switch" })
                #expect(try await client.encrypt(.with { $0.keyID = "alias/switch"; $0.plaintext = Self.plaintext }).keyID == key)
            }
        }
    }

    @Test func tagsAreAddedReplacedListedAndRemoved() async throws {
        try await withWorld { world in
            let keyID = try await world.server.withClient(world.app) { client in
                let key = try await client.createKey(.with { $0.tags = ["team": "payments"] }).keyMetadata.keyID
                _ = try await client.tagResource(.with { $0.keyID = key; $0.tags = ["env": "dev", "team": "risk"] })
                #expect(try await client.listResourceTags(.with { $0.keyID = key }).tags == ["env": "dev", "team": "risk"])

                _ = try await client.untagResource(.with { $0.keyID = key; $0.tagKeys = ["team", "never-set"] })
                #expect(try await client.listResourceTags(.with { $0.keyID = key }).tags == ["env": "dev"])

                #expect(await failure { try await client.untagResource(.with { $0.keyID = key }) }
                    == RPCFailure(code: .invalidArgument, reason: "VALIDATION"))
                #expect(await failure { try await client.tagResource(.with { $0.keyID = key; $0.tags = ["": "empty key"] }) }
                    == RPCFailure(code: .invalidArgument, reason: "VALIDATION"))
                #expect(await failure { try await client.listResourceTags(.with { $0.keyID = "alias/missing" }) }
                    == RPCFailure(code: .notFound, reason: "KEY_NOT_FOUND"))
                return key
            }
            try await world.restart()
            try await world.server.withClient(world.app) { client in
                let tags = try await client.listResourceTags(.with { $0.keyID = keyID }).tags
                #expect(tags == ["env": "dev"])
            }
        }
    }

    @Test func aKeyHoldsAtMostFiftyTags() async throws {
        try await withWorld { world in
            try await world.server.withClient(world.app) { client in
                let key = try await client.createKey(.with { $0.tags = ["tag-0": "v"] }).keyMetadata.keyID
                let fortyNine = Dictionary(uniqueKeysWithValues: (1..<50).map { ("tag-\($0)", "v") })
                _ = try await client.tagResource(.with { $0.keyID = key; $0.tags = fortyNine })
                #expect(try await client.listResourceTags(.with { $0.keyID = key }).tags.count == 50)

                #expect(await failure { try await client.tagResource(.with { $0.keyID = key; $0.tags = ["tag-50": "v", "tag-0": "changed"] }) }
                    == RPCFailure(code: .resourceExhausted, reason: "LIMIT_EXCEEDED"))
                let unchanged = try await client.listResourceTags(.with { $0.keyID = key }).tags
                #expect(unchanged.count == 50)
                #expect(unchanged["tag-0"] == "v")
                #expect(unchanged["tag-50"] == nil)

                // Replacing a value keeps the count at 50, which is allowed.
                _ = try await client.tagResource(.with { $0.keyID = key; $0.tags = ["tag-0": "replaced"] })
                #expect(try await client.listResourceTags(.with { $0.keyID = key }).tags["tag-0"] == "replaced")
            }
        }
    }

    @Test func updateKeyDescription() async throws {
        try await withWorld { world in
            let keyID = try await world.server.withClient(world.app) { client in
                let key = try await client.createKey(.with { $0.description_p = "old" }).keyMetadata.keyID
                _ = try await client.updateKeyDescription(.with { $0.keyID = key; $0.description_p = "orders, 2025" })
                #expect(try await client.describeKey(.with { $0.keyID = key }).keyMetadata.description_p == "orders, 2025")

                #expect(await failure { try await client.updateKeyDescription(.with { $0.keyID = key; $0.description_p = String(repeating: "d", count: 8193) }) }
                    == RPCFailure(code: .resourceExhausted, reason: "LIMIT_EXCEEDED"))
                #expect(try await client.describeKey(.with { $0.keyID = key }).keyMetadata.description_p == "orders, 2025")
                return key
            }
            try await world.server.withClient(world.legacy) { client in
                // The key's default policy allows only its creator.
                #expect(await failure { try await client.updateKeyDescription(.with { $0.keyID = keyID; $0.description_p = "theirs" }) }
                    == RPCFailure(code: .permissionDenied, reason: "ACCESS_DENIED"))
            }
        }
    }

    @Test func anAliasNamesItsKeyInEveryOperation() async throws {
        try await withWorld { world in
            try await world.server.withClient(world.app) { client in
                let key = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                _ = try await client.createAlias(.with { $0.aliasName = "alias/orders"; $0.targetKeyID = key })

                let sealed = try await client.encrypt(.with { $0.keyID = "alias/orders"; $0.plaintext = Self.plaintext; $0.encryptionContext = ["order": "42"] })
                #expect(sealed.keyID == key)
                let opened = try await client.decrypt(.with { $0.ciphertextBlob = sealed.ciphertextBlob; $0.encryptionContext = ["order": "42"]; $0.keyID = "alias/orders" })
                #expect(opened.plaintext == Self.plaintext)
                #expect(opened.keyID == key)
                #expect(try await client.describeKey(.with { $0.keyID = "alias/orders" }).keyMetadata.keyID == key)
                #expect(try await client.generateDataKey(.with { $0.keyID = "alias/orders"; $0.keySpec = .aes256 }).keyID == key)
                #expect(try await client.getKeyPolicy(.with { $0.keyID = "alias/orders" }).policy.contains(TestPKI.appID))

                // Names are case-sensitive.
                #expect(await failure { try await client.encrypt(.with { $0.keyID = "alias/Orders"; $0.plaintext = Self.plaintext }) }
                    == RPCFailure(code: .notFound, reason: "KEY_NOT_FOUND"))
            }
        }
    }

    @Test func aliasNamesAreUniqueAndChecked() async throws {
        try await withWorld { world in
            try await world.server.withClient(world.app) { client in
                let key = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                let other = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                _ = try await client.createAlias(.with { $0.aliasName = "alias/orders"; $0.targetKeyID = key })
                #expect(await failure { try await client.createAlias(.with { $0.aliasName = "alias/orders"; $0.targetKeyID = other }) }
                    == RPCFailure(code: .alreadyExists, reason: "ALREADY_EXISTS"))
                #expect(try await client.encrypt(.with { $0.keyID = "alias/orders"; $0.plaintext = Self.plaintext }).keyID == key)

                let longest = "alias/" + String(repeating: "a", count: 250)
                _ = try await client.createAlias(.with { $0.aliasName = longest; $0.targetKeyID = key })
                _ = try await client.createAlias(.with { $0.aliasName = "alias/team_a/orders-2025"; $0.targetKeyID = key })

                let invalid = [
                    "orders", "alias/", "alias/has space", "alias/ä", "alias/kms/reserved", "ALIAS/orders",
                    longest + "a",
                ]
                for name in invalid {
                    let result = await failure { try await client.createAlias(.with { $0.aliasName = name; $0.targetKeyID = key }) }
                    #expect(result == RPCFailure(code: .invalidArgument, reason: "VALIDATION"), "\(name)")
                }
                #expect(await failure { try await client.createAlias(.with { $0.aliasName = "alias/indirect"; $0.targetKeyID = "alias/orders" }) }
                    == RPCFailure(code: .invalidArgument, reason: "VALIDATION"))
                #expect(await failure { try await client.createAlias(.with { $0.aliasName = "alias/nowhere"; $0.targetKeyID = UUID().uuidString.lowercased() }) }
                    == RPCFailure(code: .notFound, reason: "KEY_NOT_FOUND"))
            }
        }
    }

    @Test func deletedAndMissingAliases() async throws {
        try await withWorld { world in
            try await world.server.withClient(world.app) { client in
                let key = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                _ = try await client.createAlias(.with { $0.aliasName = "alias/orders"; $0.targetKeyID = key })
                _ = try await client.encrypt(.with { $0.keyID = "alias/orders"; $0.plaintext = Self.plaintext })
                _ = try await client.deleteAlias(.with { $0.aliasName = "alias/orders" })

                #expect(await failure { try await client.encrypt(.with { $0.keyID = "alias/orders"; $0.plaintext = Self.plaintext }) }
                    == RPCFailure(code: .notFound, reason: "KEY_NOT_FOUND"))
                #expect(await failure { try await client.deleteAlias(.with { $0.aliasName = "alias/orders" }) }
                    == RPCFailure(code: .notFound, reason: "ALIAS_NOT_FOUND"))
                #expect(await failure { try await client.updateAlias(.with { $0.aliasName = "alias/orders"; $0.targetKeyID = key }) }
                    == RPCFailure(code: .notFound, reason: "ALIAS_NOT_FOUND"))
                // The key itself is untouched, and the name can be used again.
                #expect(try await client.encrypt(.with { $0.keyID = key; $0.plaintext = Self.plaintext }).keyID == key)
                _ = try await client.createAlias(.with { $0.aliasName = "alias/orders"; $0.targetKeyID = key })
            }
        }
    }

    @Test func updateAliasMovesTheNameToAnotherKey() async throws {
        try await withWorld { world in
            try await world.server.withClient(world.app) { client in
                let first = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                let second = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                _ = try await client.createAlias(.with { $0.aliasName = "alias/current"; $0.targetKeyID = first })
                let old = try await client.encrypt(.with { $0.keyID = "alias/current"; $0.plaintext = Self.plaintext })
                #expect(old.keyID == first)

                _ = try await client.updateAlias(.with { $0.aliasName = "alias/current"; $0.targetKeyID = second })
                #expect(try await client.encrypt(.with { $0.keyID = "alias/current"; $0.plaintext = Self.plaintext }).keyID == second)
                // Blobs made through the alias before still decrypt under their own key.
                #expect(try await client.decrypt(.with { $0.ciphertextBlob = old.ciphertextBlob }).keyID == first)
                #expect(await failure { try await client.decrypt(.with { $0.ciphertextBlob = old.ciphertextBlob; $0.keyID = "alias/current" }) }
                    == RPCFailure(code: .invalidArgument, reason: "INCORRECT_KEY"))
            }
        }
    }

    @Test func listAliasesOfOneKeyOrAll() async throws {
        try await withWorld { world in
            let (first, second) = try await world.server.withClient(world.app) { client in
                let first = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                let second = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                for name in ["alias/b-orders", "alias/a-orders"] {
                    _ = try await client.createAlias(.with { $0.aliasName = name; $0.targetKeyID = first })
                }
                _ = try await client.createAlias(.with { $0.aliasName = "alias/c-refunds"; $0.targetKeyID = second })
                // ListAliases is a server-wide action: only the server policy grants it.
                #expect(await failure { try await client.listAliases(Kms_V1_ListAliasesRequest()) }
                    == RPCFailure(code: .permissionDenied, reason: "ACCESS_DENIED"))
                return (first, second)
            }
            try await world.server.withClient(world.admin) { client in
                let ofFirst = try await client.listAliases(.with { $0.keyID = first })
                #expect(ofFirst.aliases.map(\.aliasName) == ["alias/a-orders", "alias/b-orders"])
                #expect(ofFirst.aliases.allSatisfy { $0.targetKeyID == first })
                #expect(ofFirst.nextPageToken.isEmpty)

                let bySecondsAlias = try await client.listAliases(.with { $0.keyID = "alias/c-refunds" })
                #expect(bySecondsAlias.aliases.map(\.aliasName) == ["alias/c-refunds"])
                #expect(bySecondsAlias.aliases.map(\.targetKeyID) == [second])

                var listed: [String] = []
                var token = ""
                repeat {
                    let page = try await client.listAliases(.with { $0.pageSize = 2; $0.pageToken = token })
                    #expect(page.aliases.count <= 2)
                    listed += page.aliases.map(\.aliasName)
                    token = page.nextPageToken
                } while !token.isEmpty
                #expect(listed == ["alias/a-orders", "alias/b-orders", "alias/c-refunds"])
            }
        }
    }

    @Test func aRestartBetweenCreatingAndUsingAnAliasChangesNothing() async throws {
        try await withWorld { world in
            let (keyID, blob) = try await world.server.withClient(world.app) { client in
                let key = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                _ = try await client.createAlias(.with { $0.aliasName = "alias/orders"; $0.targetKeyID = key })
                let blob = try await client.encrypt(.with { $0.keyID = "alias/orders"; $0.plaintext = Self.plaintext }).ciphertextBlob
                return (key, blob)
            }
            try await world.restart()
            try await world.server.withClient(world.app) { client in
                let sealed = try await client.encrypt(.with { $0.keyID = "alias/orders"; $0.plaintext = Self.plaintext })
                #expect(sealed.keyID == keyID)
                #expect(try await client.decrypt(.with { $0.ciphertextBlob = blob; $0.keyID = "alias/orders" }).plaintext == Self.plaintext)
                #expect(await failure { try await client.createAlias(.with { $0.aliasName = "alias/orders"; $0.targetKeyID = keyID }) }
                    == RPCFailure(code: .alreadyExists, reason: "ALREADY_EXISTS"))
            }
            try await world.server.withClient(world.admin) { client in
                let aliases = try await client.listAliases(Kms_V1_ListAliasesRequest()).aliases
                #expect(aliases.map(\.aliasName) == ["alias/orders"])
                #expect(aliases.map(\.targetKeyID) == [keyID])
            }
        }
    }
}
