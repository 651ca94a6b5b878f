import KMSCore
import KMSService
import Testing

/// Listing aliases: paging, the per-key filter, and its checks.
@Suite struct AliasListingTests {
    let admin = ServiceFixture.admin

    /// Every page of a listing, following the tokens.
    private func allPages(_ service: KeyManagementService, keyID: String, pageSize: Int) async throws -> [[AliasEntry]] {
        var pages: [[AliasEntry]] = []
        var token = ""
        repeat {
            let page = try await service.listAliases(keyID: keyID, pageSize: pageSize, pageToken: token, context: admin)
            pages.append(page.aliases)
            token = page.nextPageToken
        } while !token.isEmpty && pages.count <= 20
        return pages
    }

    @Test func pagesThroughEveryAliasInNameOrder() async throws {
        try await withService { fixture in
            let first = try await fixture.createKey()
            let second = try await fixture.createKey()
            var expected: [AliasEntry] = []
            for (index, name) in ["alias/g", "alias/a", "alias/e", "alias/B", "alias/c", "alias/f", "alias/d"].enumerated() {
                let target = index.isMultiple(of: 2) ? first : second
                try await fixture.service.createAlias(name: name, targetKeyID: target.description, context: admin)
                expected.append(AliasEntry(name: name, targetKeyID: target))
            }
            expected.sort { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
            let service = try fixture.aliasListingService()

            let pages = try await allPages(service, keyID: "", pageSize: 3)
            #expect(pages.map(\.count) == [3, 3, 1])
            #expect(pages.flatMap { $0 } == expected)
            #expect(try await allPages(service, keyID: "", pageSize: 7) == [expected])
            #expect(try await allPages(service, keyID: "", pageSize: 0) == [expected])

            let ofFirst = expected.filter { $0.targetKeyID == first }
            #expect(try await allPages(service, keyID: first.description, pageSize: 2).flatMap { $0 } == ofFirst)
            #expect(try await allPages(service, keyID: "alias/a", pageSize: 0).flatMap { $0 } == expected.filter { $0.targetKeyID == second })
            let unaliased = try await fixture.createKey()
            #expect(try await allPages(service, keyID: unaliased.description, pageSize: 0) == [[]])
        }
    }

    @Test func badRequestsAreRefused() async throws {
        try await withService { fixture in
            let service = try fixture.aliasListingService()
            for size in [-1, 1001] {
                #expect(await errorCode { try await service.listAliases(keyID: "", pageSize: size, pageToken: "", context: admin) } == .validation)
            }
            for token in ["garbage!", "bm90LWFuLWFsaWFz"] {
                #expect(await errorCode { try await service.listAliases(keyID: "", pageSize: 0, pageToken: token, context: admin) } == .validation)
            }
            #expect(await errorCode { try await service.listAliases(keyID: "not-a-key", pageSize: 0, pageToken: "", context: admin) } == .validation)
            #expect(await errorCode { try await service.listAliases(keyID: KeyID.random().description, pageSize: 0, pageToken: "", context: admin) } == .keyNotFound)
            #expect(await errorCode { try await service.listAliases(keyID: "alias/missing", pageSize: 0, pageToken: "", context: admin) } == .keyNotFound)
            #expect(await errorCode { try await fixture.service.listAliases(keyID: "", pageSize: 0, pageToken: "", context: admin) } == .accessDenied)
        }
    }
}
