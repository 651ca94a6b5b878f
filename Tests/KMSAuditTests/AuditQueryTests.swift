import Foundation
import KMSAudit
import Testing

/// Records over three keys (and one without a key), two principals, three actions, every
/// outcome, and times out of sequence order.
enum QueryDataset {
    static let count = 18

    static func minute(_ number: Int) -> Int { (number * 7) % 19 }

    static func record(_ number: Int) -> AuditRecord {
        let outcomes: [AuditRecord.Outcome] = [.allowed, .denied, .allowed, .failed, .allowed]
        let actions = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"]
        return Sample.record(
            number, principal: number.isMultiple(of: 2) ? "bob" : "alice", action: actions[number % 3],
            keyID: number == count ? nil : "key-\((number - 1) % 3 + 1)", outcome: outcomes[number % 5],
            minute: minute(number)
        )
    }

    static func write(to log: AuditLog, _ range: ClosedRange<Int> = 1...count) async throws {
        for number in range { try await log.append(record(number)) }
    }

    /// The sequence numbers of the records (written in order from 1) that match `predicate`.
    static func sequences(upTo last: Int = count, where predicate: (AuditRecord) -> Bool) -> [UInt64] {
        (1...last).filter { predicate(record($0)) }.map(UInt64.init)
    }

    /// Queries with what they must return.
    static func cases(upTo last: Int = count) -> [(String, AuditQuery, [UInt64])] {
        let start = Sample.time(5), end = Sample.time(12)
        return [
            ("all", AuditQuery(), sequences(upTo: last) { _ in true }),
            ("key", AuditQuery(keyID: "key-2"), sequences(upTo: last) { $0.keyID == "key-2" }),
            ("principal", AuditQuery(principal: "bob"), sequences(upTo: last) { $0.principal == "bob" }),
            ("action", AuditQuery(action: "kms:Decrypt"), sequences(upTo: last) { $0.action == "kms:Decrypt" }),
            ("outcome", AuditQuery(outcome: .denied), sequences(upTo: last) { $0.outcome == .denied }),
            ("start", AuditQuery(start: start), sequences(upTo: last) { $0.time >= start }),
            ("end", AuditQuery(end: end), sequences(upTo: last) { $0.time < end }),
            ("start and end", AuditQuery(start: start, end: end), sequences(upTo: last) { $0.time >= start && $0.time < end }),
            (
                "key, principal, outcome", AuditQuery(keyID: "key-1", principal: "alice", outcome: .allowed),
                sequences(upTo: last) { $0.keyID == "key-1" && $0.principal == "alice" && $0.outcome == .allowed }
            ),
            (
                "principal, action, time", AuditQuery(principal: "bob", action: "kms:Encrypt", start: start),
                sequences(upTo: last) { $0.principal == "bob" && $0.action == "kms:Encrypt" && $0.time >= start }
            ),
            ("no match", AuditQuery(keyID: "key-9"), []),
        ]
    }
}

/// Every page of `query` at `pageSize`, following `continueAfter`.
func pages(of query: AuditQuery, pageSize: Int, in log: AuditLog) throws -> [AuditPage] {
    var query = query
    query.pageSize = pageSize
    var pages: [AuditPage] = []
    while true {
        let page = try log.query(query)
        pages.append(page)
        guard let next = page.continueAfter else { return pages }
        guard pages.count <= QueryDataset.count * 10 else {
            Issue.record("pagination does not end")
            return pages
        }
        query.afterSequence = next
    }
}

/// What `log` answers to every case, one page of everything and pages of two.
func answers(of log: AuditLog, upTo last: Int = QueryDataset.count) throws -> [[ChainedAuditRecord]] {
    try QueryDataset.cases(upTo: last).flatMap { _, query, _ in
        var all = query
        all.pageSize = 1000
        return [try log.query(all).records] + (try pages(of: query, pageSize: 2, in: log).map(\.records))
    }
}

@Suite struct AuditQueryTests {
    @Test func filtersSelectExactlyTheMatchingRecordsOldestFirst() async throws {
        try await withAuditDirectory { directory in
            let log = try openAuditLog(directory)
            defer { log.close() }
            try await QueryDataset.write(to: log)
            // The dataset must exercise every filter.
            #expect(QueryDataset.sequences { $0.outcome == .failed }.count > 0)
            #expect(QueryDataset.sequences { $0.time < Sample.time(5) }.count > 0)
            #expect(QueryDataset.sequences { $0.time >= Sample.time(12) }.count > 0)

            for (name, query, expected) in QueryDataset.cases() {
                let page = try log.query(query)
                #expect(page.records.map(\.sequence) == expected, "\(name)")
                #expect(page.records.map(\.record) == expected.map { QueryDataset.record(Int($0)) }, "\(name)")
                #expect(page.continueAfter == nil, "\(name)")
            }
        }
    }

    @Test func startIsInclusiveAndEndExclusive() async throws {
        try await withAuditDirectory { directory in
            let log = try openAuditLog(directory)
            defer { log.close() }
            try await appendSamples(1...5, to: log)
            let page = try log.query(AuditQuery(start: Sample.time(2), end: Sample.time(4)))
            #expect(page.records.map(\.sequence) == [2, 3])
            #expect(try log.query(AuditQuery(start: Sample.time(3), end: Sample.time(3))).records.isEmpty)
        }
    }

    @Test func pagesOfTwoWalkEveryMatchExactlyOnce() async throws {
        try await withAuditDirectory { directory in
            let log = try openAuditLog(directory)
            defer { log.close() }
            try await QueryDataset.write(to: log)
            for (name, query, expected) in QueryDataset.cases() {
                let pages = try pages(of: query, pageSize: 2, in: log)
                #expect(pages.flatMap(\.records).map(\.sequence) == expected, "\(name)")
                #expect(pages.count == max(1, (expected.count + 1) / 2), "\(name): no empty last page")
                #expect(pages.allSatisfy { $0.records.count <= 2 }, "\(name)")
                for page in pages.dropLast() {
                    #expect(page.records.count == 2, "\(name)")
                    #expect(page.continueAfter == page.records.last?.sequence, "\(name)")
                }
                #expect(pages.last?.continueAfter == nil, "\(name)")
            }
        }
    }

    @Test func aPageTokenAlsoWorksAfterTheLogGrew() async throws {
        try await withAuditDirectory { directory in
            let log = try openAuditLog(directory)
            defer { log.close() }
            try await appendSamples(1...5, to: log)
            let first = try log.query(AuditQuery(pageSize: 2))
            #expect(first.records.map(\.sequence) == [1, 2])
            try await appendSamples(6...7, to: log)
            let after = try #require(first.continueAfter)
            let rest = try log.query(AuditQuery(pageSize: 10, afterSequence: after))
            #expect(rest.records.map(\.sequence) == [3, 4, 5, 6, 7])
            #expect(rest.continueAfter == nil)
        }
    }
}

@Suite struct AuditIndexTests {
    static let indexName = "index.bin"

    @Test func queriesAnswerTheSameAfterReopening() async throws {
        try await withAuditDirectory { directory in
            let log = try openAuditLog(directory, maxFileBytes: 2000)
            try await QueryDataset.write(to: log)
            let before = try answers(of: log)
            log.close()
            #expect(try AuditFileSet.files(in: directory).count >= 3, "the index spans several files")

            let reopened = try openAuditLog(directory, maxFileBytes: 2000)
            defer { reopened.close() }
            #expect(try answers(of: reopened) == before)
        }
    }

    @Test func aDeletedIndexIsRebuilt() async throws {
        try await withAuditDirectory { directory in
            let index = (directory as NSString).appendingPathComponent(Self.indexName)
            let log = try openAuditLog(directory, maxFileBytes: 2000)
            try await QueryDataset.write(to: log)
            let before = try answers(of: log)
            log.close()
            try FileManager.default.removeItem(atPath: index)

            let reopened = try openAuditLog(directory, maxFileBytes: 2000)
            defer { reopened.close() }
            #expect(try contents(of: index).count == QueryDataset.count * 56)
            #expect(try answers(of: reopened) == before)
        }
    }

    @Test(arguments: [3, 56, 56 * 4 + 5, 56 * 17 + 1])
    func aTruncatedIndexIsCompleted(cut: Int) async throws {
        try await withAuditDirectory { directory in
            let index = (directory as NSString).appendingPathComponent(Self.indexName)
            let log = try openAuditLog(directory, maxFileBytes: 2000)
            try await QueryDataset.write(to: log)
            let before = try answers(of: log)
            log.close()
            let bytes = try contents(of: index)
            #expect(bytes.count == QueryDataset.count * 56)
            try Data(bytes.dropLast(cut)).write(to: URL(filePath: index))

            let reopened = try openAuditLog(directory, maxFileBytes: 2000)
            defer { reopened.close() }
            #expect(try contents(of: index) == bytes)
            #expect(try answers(of: reopened) == before)
        }
    }

    @Test func recordsAppendedAfterReopeningAreFound() async throws {
        try await withAuditDirectory { directory in
            let first = try openAuditLog(directory, maxFileBytes: 2000)
            try await QueryDataset.write(to: first, 1...10)
            first.close()
            let index = (directory as NSString).appendingPathComponent(Self.indexName)
            try Data(try contents(of: index).dropLast(56 * 2 + 7)).write(to: URL(filePath: index))

            let second = try openAuditLog(directory, maxFileBytes: 2000)
            try await QueryDataset.write(to: second, 11...QueryDataset.count)
            for (name, query, expected) in QueryDataset.cases() {
                #expect(try second.query(query).records.map(\.sequence) == expected, "\(name)")
            }
            let before = try answers(of: second)
            second.close()

            let third = try openAuditLog(directory, maxFileBytes: 2000)
            defer { third.close() }
            #expect(try answers(of: third) == before)
        }
    }

    @Test func anIndexWithEntriesBeyondTheChainIsRebuilt() async throws {
        try await withAuditDirectory { directory in
            let index = (directory as NSString).appendingPathComponent(Self.indexName)
            let longer = try openAuditLog(directory)
            try await appendSamples(1...10, to: longer)
            longer.close()
            let staleIndex = try contents(of: index)
            for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
                try FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent(name))
            }
            let shorter = try openAuditLog(directory)
            try await QueryDataset.write(to: shorter, 1...5)
            shorter.close()
            try Data(staleIndex).write(to: URL(filePath: index))

            let reopened = try openAuditLog(directory)
            defer { reopened.close() }
            #expect(try reopened.query(AuditQuery()).records.map(\.record) == (1...5).map(QueryDataset.record))
            #expect(try contents(of: index).count == 5 * 56)
        }
    }

    /// The index is never synced: after a crash its end may read as zeros (the size reached
    /// the disk, the data did not). Start-up must notice and repair it, not append after it.
    @Test func anIndexWithAZeroFilledTailIsRepaired() async throws {
        try await withAuditDirectory { directory in
            let index = (directory as NSString).appendingPathComponent(Self.indexName)
            let log = try openAuditLog(directory)
            try await QueryDataset.write(to: log)
            let before = try answers(of: log)
            log.close()
            let bytes = try contents(of: index)
            try Data(bytes.dropLast(56 * 3) + [UInt8](repeating: 0, count: 56 * 3)).write(to: URL(filePath: index))

            let reopened = try openAuditLog(directory)
            defer { reopened.close() }
            #expect(try contents(of: index).count == QueryDataset.count * 56, "one entry per record")
            let all = try reopened.query(AuditQuery(pageSize: 1000)).records.map(\.sequence)
            #expect(all == Array(1...UInt64(QueryDataset.count)), "each record once")
            #expect(try answers(of: reopened) == before)
        }
    }
}
