import Foundation
import KMSAudit
import Testing

@Suite struct AuditChainTests {
    @Test func sequenceNumbersContinueAfterReopening() async throws {
        try await withAuditDirectory { directory in
            let first = try openAuditLog(directory)
            try await appendSamples(1...5, to: first)
            #expect(first.statistics.records == 5)
            #expect(first.statistics.groups == 5, "one at a time: each record is its own group")
            first.close()

            let second = try openAuditLog(directory)
            defer { second.close() }
            #expect(second.statistics.records == 0, "statistics count since open")
            try await appendSamples(6...8, to: second)
            #expect(second.statistics.records == 3)
            #expect(second.statistics.groups == 3)

            let records = try chainRecords(in: directory)
            #expect(records.map(\.sequence) == Array(1...8))
            #expect(records.map(\.record.requestID) == (1...8).map { "req-\($0)" })
            #expect(records.map(\.record) == (1...8).map { Sample.record($0) })
            #expect(records.first?.previousHash == AuditLine.genesisHash)
            for (previous, next) in zip(records, records.dropFirst()) {
                #expect(next.previousHash == previous.hash)
            }
            try expectIntact(try verifyChain(in: directory), records: 8, in: directory)
        }
    }

    @Test func appendReturnsOnlyOnceTheRecordIsInTheFile() async throws {
        try await withAuditDirectory { directory in
            let log = try openAuditLog(directory)
            defer { log.close() }
            for number in 1...3 {
                try await log.append(Sample.record(number))
                #expect(try chainRecords(in: directory).last?.record.requestID == "req-\(number)")
            }
        }
    }

    @Test func concurrentAppendsShareSyncs() async throws {
        try await withAuditDirectory { directory in
            let log = try openAuditLog(directory)
            defer { log.close() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for number in 1...200 {
                    group.addTask { try await log.append(Sample.record(number)) }
                }
                try await group.waitForAll()
            }
            let statistics = log.statistics
            #expect(statistics.records == 200)
            #expect(statistics.groups >= 1)
            #expect(statistics.groups < 200, "group commit wrote \(statistics.groups) groups for 200 records")

            let records = try chainRecords(in: directory)
            #expect(records.map(\.sequence) == Array(1...200))
            #expect(Set(records.map(\.record.requestID)) == Set((1...200).map { "req-\($0)" }))
            try expectIntact(try verifyChain(in: directory), records: 200, in: directory)
        }
    }

    @Test func aBatchIsWrittenAsOneGroupInOrder() async throws {
        try await withAuditDirectory { directory in
            let log = try openAuditLog(directory)
            defer { log.close() }
            try await log.append(Sample.record(1))
            let batch = (0..<3).map { index in
                var record = Sample.record(2)
                record.batchIndex = index
                record.keyID = "batch-key-\(index)"
                return record
            }
            try await log.append(contentsOf: batch)
            #expect(log.statistics.groups == 2)
            #expect(log.statistics.records == 4)
            let records = try chainRecords(in: directory)
            #expect(records.map(\.sequence) == [1, 2, 3, 4])
            #expect(Array(records.dropFirst().map(\.record)) == batch)
            #expect(records.map(\.record.batchIndex) == [nil, 0, 1, 2])
            try expectIntact(try verifyChain(in: directory), records: 4, in: directory)
            #expect(try log.query(AuditQuery(keyID: "batch-key-1")).records.map(\.sequence) == [3])
        }
    }

    @Test func filesRotateAndTheChainContinuesAcrossThem() async throws {
        try await withAuditDirectory { directory in
            let log = try openAuditLog(directory, maxFileBytes: 2000)
            try await appendSamples(1...20, to: log)
            log.close()

            let files = try AuditFileSet.files(in: directory)
            #expect(files.count >= 3)
            var previousLast: ChainedAuditRecord?
            for file in files {
                #expect(try contents(of: file.path).count <= 2000)
                let records = try lines(of: file.path).map { try AuditLine.decode($0) }
                let first = try #require(records.first)
                #expect(first.sequence == file.firstSequence)
                #expect((file.path as NSString).lastPathComponent == String(format: "audit-%020llu.jsonl", file.firstSequence))
                if let previousLast {
                    #expect(first.sequence == previousLast.sequence + 1)
                    #expect(first.previousHash == previousLast.hash)
                }
                previousLast = records.last
            }
            #expect(previousLast?.sequence == 20)
            try expectIntact(try verifyChain(in: directory), records: 20, in: directory)

            let reopened = try openAuditLog(directory, maxFileBytes: 2000)
            defer { reopened.close() }
            try await appendSamples(21...30, to: reopened)
            #expect(try chainRecords(in: directory).map(\.sequence) == Array(1...30))
            try expectIntact(try verifyChain(in: directory), records: 30, in: directory)
        }
    }

    @Test func aTornLastLineIsMovedAsideAtStartUp() async throws {
        try await withAuditDirectory { directory in
            let first = try openAuditLog(directory)
            try await appendSamples(1...5, to: first)
            first.close()
            let path = try #require(try auditPaths(directory).last)
            let intact = try contents(of: path)
            let torn = Array(#"{"seq":6,"time":"2026-11-18T11:12:40.000000Z","request_id":"req-6","princ"#.utf8)
            try append(torn, to: path)

            let (logger, recorded) = recordingLogger()
            let log = try openAuditLog(directory, logger: logger)
            defer { log.close() }
            #expect(try contents(of: path) == intact)
            #expect(try contents(of: path).last == UInt8(ascii: "\n"))
            let name = (path as NSString).lastPathComponent
            let aside = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix(name + ".torn-") }
            #expect(aside.count == 1)
            if let aside = aside.first {
                #expect(try contents(of: (directory as NSString).appendingPathComponent(aside)) == torn)
            }
            #expect(recorded.messages(at: .warning).count == 1)
            try expectIntact(try verifyChain(in: directory), records: 5, in: directory)

            try await log.append(Sample.record(6))
            let records = try chainRecords(in: directory)
            #expect(records.map(\.sequence) == Array(1...6))
            #expect(records.last?.record.requestID == "req-6")
            try expectIntact(try verifyChain(in: directory), records: 6, in: directory)
        }
    }

    @Test func repeatedRepairsKeepEveryTornTail() async throws {
        try await withAuditDirectory { directory in
            let first = try openAuditLog(directory)
            try await appendSamples(1...2, to: first)
            first.close()
            let path = try #require(try auditPaths(directory).last)
            let torn = [Array(#"{"seq":3,"ti"#.utf8), Array(#"{"seq":3,"time":"2026"#.utf8)]
            for bytes in torn {
                try append(bytes, to: path)
                let log = try openAuditLog(directory)
                log.close()
            }
            let name = (path as NSString).lastPathComponent
            let aside = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix(name + ".torn-") }
            #expect(aside.count == 2)
            let saved = try aside.map { try contents(of: (directory as NSString).appendingPathComponent($0)) }
            #expect(Set(saved) == Set(torn))
            try expectIntact(try verifyChain(in: directory), records: 2, in: directory)
        }
    }

    @Test func anIntactLogIsLeftAloneAtStartUp() async throws {
        try await withAuditDirectory { directory in
            let first = try openAuditLog(directory)
            try await appendSamples(1...3, to: first)
            first.close()
            let path = try #require(try auditPaths(directory).last)
            let before = try contents(of: path)
            let (logger, recorded) = recordingLogger()
            let log = try openAuditLog(directory, logger: logger)
            log.close()
            #expect(try contents(of: path) == before)
            #expect(recorded.messages(at: .warning).isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory).allSatisfy { !$0.contains(".torn-") })
        }
    }
}
