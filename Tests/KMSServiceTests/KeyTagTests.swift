import KMSCore
import KMSService
import Testing

/// Tagging, untagging and listing the tags of a key.
@Suite struct KeyTagTests {
    let admin = ServiceFixture.admin

    private func tags(_ range: Range<Int>) -> [String: String] {
        Dictionary(uniqueKeysWithValues: range.map { ("t\($0)", "v\($0)") })
    }

    @Test func tagsMergeWithTheExistingOnes() async throws {
        try await withService { fixture in
            let service = fixture.service
            let keyID = try await service.createKey(CreateKeyRequest(tags: ["team": "billing", "tier": "1"]), context: admin).keyID.description
            try await service.createAlias(name: "alias/tagged", targetKeyID: keyID, context: admin)
            #expect(try await service.listResourceTags(keyID: keyID, context: admin).tags == ["team": "billing", "tier": "1"])
            try await service.tagResource(keyID: "alias/tagged", tags: ["team": "payments", "env": "prod"], context: admin)
            #expect(try await service.listResourceTags(keyID: keyID, context: admin).tags == ["team": "payments", "tier": "1", "env": "prod"])
            #expect(try await service.listResourceTags(keyID: "alias/tagged", context: admin).tags == ["team": "payments", "tier": "1", "env": "prod"])
        }
    }

    @Test func tagsAreListedInPagesInTagKeyOrder() async throws {
        try await withService { fixture in
            let service = fixture.service
            let keyID = try await service.createKey(CreateKeyRequest(tags: tags(0..<7)), context: admin).keyID.description
            var seen: [String] = []
            var token = ""
            repeat {
                let page = try await service.listResourceTags(keyID: keyID, pageSize: 3, pageToken: token, context: admin)
                #expect(page.tags.count <= 3)
                seen += page.tags.keys.sorted()
                token = page.nextPageToken
            } while !token.isEmpty
            #expect(seen == tags(0..<7).keys.sorted())
            #expect(await errorCode { _ = try await service.listResourceTags(keyID: keyID, pageToken: "not a token", context: admin) } == .validation)
            #expect(await errorCode { _ = try await service.listResourceTags(keyID: keyID, pageSize: 1001, context: admin) } == .validation)
        }
    }

    @Test func tagKeysBeginningWithAWSAreReserved() async throws {
        try await withService { fixture in
            let service = fixture.service
            #expect(await errorCode { _ = try await service.createKey(CreateKeyRequest(tags: ["aws:owner": "x"]), context: admin) } == .validation)
            let keyID = try await service.createKey(CreateKeyRequest(), context: admin).keyID.description
            #expect(await errorCode { try await service.tagResource(keyID: keyID, tags: ["aws:owner": "x"], context: admin) } == .validation)
            #expect(try await service.listResourceTags(keyID: keyID, context: admin).tags.isEmpty)
        }
    }

    @Test func atMostFiftyTagsOverSeveralCalls() async throws {
        try await withService { fixture in
            let service = fixture.service
            let keyID = try await service.createKey(CreateKeyRequest(tags: tags(0..<20)), context: admin).keyID.description
            try await service.tagResource(keyID: keyID, tags: tags(20..<40), context: admin)
            try await service.tagResource(keyID: keyID, tags: tags(40..<50), context: admin)
            #expect(try await service.listResourceTags(keyID: keyID, context: admin).tags == tags(0..<50))

            #expect(await errorCode { try await service.tagResource(keyID: keyID, tags: ["one-more": "x"], context: admin) } == .limitExceeded)
            // Nothing of a refused call is applied, not even the replacements in it.
            #expect(await errorCode { try await service.tagResource(keyID: keyID, tags: ["t0": "new", "one-more": "x"], context: admin) } == .limitExceeded)
            #expect(try await service.listResourceTags(keyID: keyID, context: admin).tags == tags(0..<50))

            // Replacing values keeps the count, so it is allowed at the limit.
            try await service.tagResource(keyID: keyID, tags: ["t0": "new"], context: admin)
            #expect(try await service.listResourceTags(keyID: keyID, context: admin).tags["t0"] == "new")

            try await service.untagResource(keyID: keyID, tagKeys: ["t1"], context: admin)
            try await service.tagResource(keyID: keyID, tags: ["one-more": "x"], context: admin)
            #expect(try await service.listResourceTags(keyID: keyID, context: admin).tags.count == 50)

            let other = try await fixture.createKey().description
            #expect(await errorCode { try await service.tagResource(keyID: other, tags: tags(0..<51), context: admin) } == .limitExceeded)
            #expect(try await service.listResourceTags(keyID: other, context: admin).tags.isEmpty)
        }
    }

    @Test func untagRemovesTheNamedTagsAndIgnoresUnknownOnes() async throws {
        try await withService { fixture in
            let service = fixture.service
            let keyID = try await service.createKey(CreateKeyRequest(tags: ["a": "1", "b": "2", "c": "3"]), context: admin).keyID.description
            try await service.untagResource(keyID: keyID, tagKeys: ["a", "c", "never-set"], context: admin)
            #expect(try await service.listResourceTags(keyID: keyID, context: admin).tags == ["b": "2"])
            #expect(await errorCode { try await service.untagResource(keyID: keyID, tagKeys: [], context: admin) } == .validation)
            #expect(await errorCode { try await service.untagResource(keyID: keyID, tagKeys: [""], context: admin) } == .validation)
            #expect(try await service.listResourceTags(keyID: keyID, context: admin).tags == ["b": "2"])
        }
    }

    @Test(arguments: [
        [:],
        ["": "v"],
        [String(repeating: "k", count: Limits.maxTagKeyCharacters + 1): "v"],
        ["k": String(repeating: "v", count: Limits.maxTagValueCharacters + 1)],
    ])
    func invalidTagsAreRefused(tags: [String: String]) async throws {
        try await withService { fixture in
            let keyID = try await fixture.createKey().description
            #expect(await errorCode { try await fixture.service.tagResource(keyID: keyID, tags: tags, context: admin) } == .validation)
            #expect(try await fixture.service.listResourceTags(keyID: keyID, context: admin).tags.isEmpty)
        }
    }

    @Test func tagsSurviveARestart() async throws {
        var keyID = ""
        try await withRestartedService { fixture in
            keyID = try await fixture.createKey().description
            try await fixture.service.tagResource(keyID: keyID, tags: ["team": "billing", "env": "prod"], context: admin)
            try await fixture.service.untagResource(keyID: keyID, tagKeys: ["env"], context: admin)
        } then: { restarted in
            let tags = try await restarted.service.listResourceTags(keyID: keyID, context: admin).tags
            #expect(tags == ["team": "billing"])
        }
    }
}
