import KMSCore
import KMSStorage
import Testing

/// Conformance checks for aliases: names that point at keys.
extension KeyStoreConformance {
    static func createsAliases(_ store: any KeyStore) async throws {
        let (key, version) = TestKeys.make()
        let (other, otherVersion) = TestKeys.make()
        try await store.createKey(key, firstVersion: version)
        try await store.createKey(other, firstVersion: otherVersion)
        let id = key.metadata.keyID
        let payments = StoredAlias(name: "alias/payments", targetKeyID: id)
        let backup = StoredAlias(name: "alias/payments-backup", targetKeyID: id)
        let upperCase = StoredAlias(name: "alias/Payments", targetKeyID: other.metadata.keyID)

        #expect(try await store.alias(named: payments.name) == nil)
        for alias in [payments, backup, upperCase] {
            try await store.createAlias(alias)
            #expect(try await store.alias(named: alias.name) == alias)
        }

        await #expect(throws: KMSError(.alreadyExists, "")) {
            try await store.createAlias(StoredAlias(name: payments.name, targetKeyID: other.metadata.keyID))
        }
        let orphan = StoredAlias(name: "alias/orphan", targetKeyID: KeyID.random())
        await #expect(throws: KMSError(.keyNotFound, "")) { try await store.createAlias(orphan) }
        for invalidName in ["", "alias/nul\u{0}inside"] {
            await #expect(throws: KMSError(.validation, "")) {
                try await store.createAlias(StoredAlias(name: invalidName, targetKeyID: id))
            }
        }

        #expect(try await store.alias(named: orphan.name) == nil)
        #expect(try await store.alias(named: "alias/nul") == nil)
        #expect(
            try await store.listAliases(targetKeyID: nil, after: nil, limit: 10) == [upperCase, payments, backup]
        )
        #expect(try await store.key(id) == key)
    }

    static func updatesAliases(_ store: any KeyStore) async throws {
        let (first, firstVersion) = TestKeys.make()
        let (second, secondVersion) = TestKeys.make()
        try await store.createKey(first, firstVersion: firstVersion)
        try await store.createKey(second, firstVersion: secondVersion)
        let firstID = first.metadata.keyID
        let secondID = second.metadata.keyID
        let bystander = StoredAlias(name: "alias/bystander", targetKeyID: firstID)
        try await store.createAlias(StoredAlias(name: "alias/app", targetKeyID: firstID))
        try await store.createAlias(bystander)

        let moved = StoredAlias(name: "alias/app", targetKeyID: secondID)
        #expect(try await store.updateAlias(moved, expectedTarget: firstID))
        #expect(try await store.alias(named: moved.name) == moved)
        #expect(try await store.updateAlias(moved, expectedTarget: secondID))
        #expect(try await store.alias(named: moved.name) == moved)
        // A write that expects the old target is refused once another write moved the alias.
        #expect(try await store.updateAlias(StoredAlias(name: moved.name, targetKeyID: firstID), expectedTarget: firstID) == false)
        #expect(try await store.alias(named: moved.name) == moved)

        for missing in ["alias/missing", "alias/App"] {
            await #expect(throws: KMSError(.aliasNotFound, "")) {
                try await store.updateAlias(StoredAlias(name: missing, targetKeyID: firstID), expectedTarget: firstID)
            }
            #expect(try await store.alias(named: missing) == nil)
        }
        await #expect(throws: KMSError(.keyNotFound, "")) {
            try await store.updateAlias(StoredAlias(name: moved.name, targetKeyID: KeyID.random()), expectedTarget: secondID)
        }
        #expect(try await store.alias(named: moved.name) == moved)
        #expect(try await store.alias(named: bystander.name) == bystander)
    }

    static func deletesAliases(_ store: any KeyStore) async throws {
        let (key, version) = TestKeys.make()
        try await store.createKey(key, firstVersion: version)
        let doomed = StoredAlias(name: "alias/doomed", targetKeyID: key.metadata.keyID)
        let kept = StoredAlias(name: "alias/kept", targetKeyID: key.metadata.keyID)
        try await store.createAlias(doomed)
        try await store.createAlias(kept)

        // A delete that expects another target is refused.
        #expect(try await store.deleteAlias(named: doomed.name, expectedTarget: KeyID.random()) == false)
        #expect(try await store.alias(named: doomed.name) == doomed)
        #expect(try await store.deleteAlias(named: doomed.name, expectedTarget: key.metadata.keyID))
        #expect(try await store.alias(named: doomed.name) == nil)
        #expect(try await store.alias(named: kept.name) == kept)
        #expect(try await store.key(key.metadata.keyID) == key)

        for missing in [doomed.name, "alias/Kept", "alias/never"] {
            await #expect(throws: KMSError(.aliasNotFound, "")) {
                try await store.deleteAlias(named: missing, expectedTarget: key.metadata.keyID)
            }
        }
        #expect(try await store.alias(named: kept.name) == kept)
        try await store.createAlias(doomed)
        #expect(try await store.alias(named: doomed.name) == doomed)
    }

    /// Lists aliases in pages, all of them and per key, in UTF-8 byte order of their names
    /// (upper case before lower case, `-` before `/` before digits).
    static func listsAliasesInNameOrder(_ store: any KeyStore) async throws {
        #expect(try await store.listAliases(targetKeyID: nil, after: nil, limit: 10).isEmpty)
        let keys = (0..<3).map { _ in TestKeys.make() }
        for (key, version) in keys {
            try await store.createKey(key, firstVersion: version)
        }
        let even = keys[0].key.metadata.keyID
        let odd = keys[1].key.metadata.keyID
        let withoutAliases = keys[2].key.metadata.keyID
        let stems = ["a", "A", "a-b", "a/b", "ab", "_x", "0", "Z", "z"]
        var aliases: [StoredAlias] = []
        for index in 0..<25 {
            let name = "alias/\(stems[index % stems.count])\(index)"
            let alias = StoredAlias(name: name, targetKeyID: index.isMultiple(of: 2) ? even : odd)
            try await store.createAlias(alias)
            aliases.append(alias)
        }
        let inByteOrder = aliases.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }

        let all = try await listAllAliases(store, targetKeyID: nil, pageSize: 10)
        #expect(all.pageSizes == [10, 10, 5])
        #expect(all.aliases == inByteOrder)
        let ofEven = try await listAllAliases(store, targetKeyID: even, pageSize: 4)
        #expect(ofEven.pageSizes == [4, 4, 4, 1])
        #expect(ofEven.aliases == inByteOrder.filter { $0.targetKeyID == even })
        let ofOdd = try await listAllAliases(store, targetKeyID: odd, pageSize: 4)
        #expect(ofOdd.aliases == inByteOrder.filter { $0.targetKeyID == odd })
        #expect(try await store.listAliases(targetKeyID: withoutAliases, after: nil, limit: 10).isEmpty)
        #expect(try await store.listAliases(targetKeyID: KeyID.random(), after: nil, limit: 10).isEmpty)

        let names = inByteOrder.map(\.name)
        #expect(try await store.listAliases(targetKeyID: nil, after: names[3], limit: 1) == [inByteOrder[4]])
        // A cursor need not be a stored name.
        #expect(try await store.listAliases(targetKeyID: nil, after: names[3] + "\u{0}", limit: 1) == [inByteOrder[4]])
        #expect(try await store.listAliases(targetKeyID: nil, after: "alias/", limit: 1) == [inByteOrder[0]])
        #expect(try await store.listAliases(targetKeyID: nil, after: names[names.count - 1], limit: 10).isEmpty)
        await #expect(throws: KMSError(.validation, "")) {
            try await store.listAliases(targetKeyID: nil, after: nil, limit: 0)
        }
    }

    /// Lists every alias (of one key, or all) page by page, as a caller paging through them does.
    private static func listAllAliases(
        _ store: any KeyStore, targetKeyID: KeyID?, pageSize: Int
    ) async throws -> (aliases: [StoredAlias], pageSizes: [Int]) {
        var aliases: [StoredAlias] = []
        var pageSizes: [Int] = []
        var cursor: String?
        repeat {
            let page = try await store.listAliases(targetKeyID: targetKeyID, after: cursor, limit: pageSize)
            pageSizes.append(page.count)
            aliases += page
            cursor = page.last?.name
        } while pageSizes.last == pageSize
        return (aliases, pageSizes)
    }
}
