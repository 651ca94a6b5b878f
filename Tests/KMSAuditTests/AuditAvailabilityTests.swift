import Foundation
import KMSAudit
import Testing

/// The log refuses records it cannot write and resumes by itself. Tests run as root in CI,
/// so these rely on the writer honouring missing owner-write bits even for root.
@Suite struct AuditAvailabilityTests {
    @Test func aReadOnlyDirectoryMakesTheLogUnavailableUntilItIsWritableAgain() async throws {
        try await withAuditDirectory { directory in
            let (logger, recorded) = recordingLogger()
            let log = try openAuditLog(directory, logger: logger)
            defer { log.close() }
            try await log.append(Sample.record(1))
            try await log.ensureAvailable()

            #expect(chmod(directory, 0o555) == 0)
            await #expect(throws: AuditUnavailable.self) { try await log.append(Sample.record(2)) }
            await #expect(throws: AuditUnavailable.self) { try await log.ensureAvailable() }
            await #expect(throws: AuditUnavailable.self) { try await log.ensureAvailable() }
            #expect(try chainRecords(in: directory).map(\.record.requestID) == ["req-1"])

            #expect(chmod(directory, 0o700) == 0)
            try await log.ensureAvailable()
            #expect(recorded.messages(at: .notice).contains { $0.contains("writable again") })
            try await log.append(Sample.record(3))

            let records = try chainRecords(in: directory)
            #expect(records.map(\.sequence) == [1, 2])
            #expect(records.map(\.record.requestID) == ["req-1", "req-3"])
            try expectIntact(try verifyChain(in: directory), records: 2, in: directory)
            #expect(try log.query(AuditQuery()).records.map(\.record.requestID) == ["req-1", "req-3"])
            #expect(log.statistics.records == 2)
        }
    }

    @Test func aReadOnlyFileMakesTheLogUnavailableAndAnAppendResumesIt() async throws {
        try await withAuditDirectory { directory in
            let log = try openAuditLog(directory)
            defer { log.close() }
            try await appendSamples(1...2, to: log)
            let path = try #require(try auditPaths(directory).last)
            let before = try contents(of: path)

            #expect(chmod(path, 0o444) == 0)
            await #expect(throws: AuditUnavailable.self) { try await log.append(Sample.record(3)) }
            await #expect(throws: AuditUnavailable.self) { try await log.append(Sample.record(4)) }
            #expect(try contents(of: path) == before)

            #expect(chmod(path, 0o600) == 0)
            try await log.append(Sample.record(5))
            let records = try chainRecords(in: directory)
            #expect(records.map(\.sequence) == [1, 2, 3])
            #expect(records.map(\.record.requestID) == ["req-1", "req-2", "req-5"])
            try expectIntact(try verifyChain(in: directory), records: 3, in: directory)
        }
    }

    @Test func aRemovedFileFailsOneAppendAndTheChainContinuesInANewFile() async throws {
        try await withAuditDirectory { directory in
            let first = try openAuditLog(directory)
            try await appendSamples(1...3, to: first)
            first.close()

            // Tiny files: the next record starts a file of its own, the current one.
            let (logger, recorded) = recordingLogger()
            let log = try openAuditLog(directory, maxFileBytes: 1, logger: logger)
            defer { log.close() }
            try await log.append(Sample.record(4))
            let paths = try auditPaths(directory)
            try #require(paths.count == 2)
            let removed = try AuditLine.decode(try #require(try lines(of: paths[1]).last))
            #expect(removed.sequence == 4)
            try FileManager.default.removeItem(atPath: paths[1])

            await #expect(throws: AuditUnavailable.self) { try await log.append(Sample.record(5)) }
            try await log.append(Sample.record(6))
            #expect(recorded.messages(at: .error).contains { $0.contains("removed") })

            let remaining = try AuditFileSet.files(in: directory)
            #expect(remaining.map(\.firstSequence) == [1, 5])
            let continued = try lines(of: remaining[1].path).map { try AuditLine.decode($0) }
            #expect(continued.map(\.sequence) == [5])
            #expect(continued.map(\.record.requestID) == ["req-6"])
            #expect(continued.first?.previousHash == removed.hash, "the chain continues from the last written record")
            #expect(try chainRecords(in: directory).allSatisfy { $0.record.requestID != "req-5" })
            // The lost record is not silently accepted: verification reports the gap.
            expectBroken(try verifyChain(in: directory), path: remaining[1].path, line: 1, problem: "1 record(s) missing")
            #expect(try log.query(AuditQuery()).records.map(\.record.requestID) == ["req-1", "req-2", "req-3", "req-6"])
        }
    }

    @Test func aRefusedBatchLeavesNoneOfItsRecords() async throws {
        try await withAuditDirectory { directory in
            let log = try openAuditLog(directory)
            defer { log.close() }
            try await log.append(Sample.record(1))
            #expect(chmod(directory, 0o555) == 0)
            await #expect(throws: AuditUnavailable.self) {
                try await log.append(contentsOf: [Sample.record(2), Sample.record(3)])
            }
            #expect(chmod(directory, 0o700) == 0)
            try await log.append(contentsOf: [Sample.record(4), Sample.record(5)])
            let records = try chainRecords(in: directory)
            #expect(records.map(\.sequence) == [1, 2, 3])
            #expect(records.map(\.record.requestID) == ["req-1", "req-4", "req-5"])
            try expectIntact(try verifyChain(in: directory), records: 3, in: directory)
        }
    }

    @Test func aClosedLogRefusesRecords() async throws {
        try await withAuditDirectory { directory in
            let log = try openAuditLog(directory)
            try await log.append(Sample.record(1))
            log.close()
            await #expect(throws: AuditUnavailable.self) { try await log.append(Sample.record(2)) }
            #expect(try chainRecords(in: directory).map(\.record.requestID) == ["req-1"])
        }
    }
}
