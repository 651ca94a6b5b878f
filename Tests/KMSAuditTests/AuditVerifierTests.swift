import Foundation
import KMSAudit
import Testing

/// Each test tampers with a fresh chain of ten records and expects the exact line reported.
@Suite struct AuditVerifierTests {
    /// Writes a chain of ten records, lets `tamper` change its lines, and verifies it.
    private func verifyTampered(
        node: String? = nil, _ tamper: (inout [[UInt8]]) throws -> Void, check: (String, AuditVerification) throws -> Void
    ) async throws {
        try await withAuditDirectory { directory in
            let path = try await writeSampleChain(in: directory, count: 10, node: node)
            var content = try lines(of: path)
            try tamper(&content)
            try write(lines: content, to: path)
            try check(path, try AuditVerifier.verify(paths: [path]))
        }
    }

    @Test func anUntouchedChainIsIntact() async throws {
        try await verifyTampered({ _ in }) { path, verification in
            guard case .intact(let records, let head) = verification else {
                Issue.record("expected intact, got \(verification)")
                return
            }
            #expect(records == 10)
            #expect(head?.sequence == 10)
            let last = try AuditLine.decode(try #require(try lines(of: path).last))
            #expect(head?.hash == last.hash)
        }
    }

    @Test func anEditedFieldIsReportedOnItsLine() async throws {
        try await verifyTampered({ lines in
            lines[3] = replacing(#""principal":"alice""#, with: #""principal":"mallory""#, in: lines[3])
        }) { path, verification in
            expectBroken(verification, path: path, line: 4, problem: "hash does not match its content")
        }
    }

    @Test(arguments: [
        (#""node":"kms-a""#, #""node":"kms-b""#, false, "hash does not match its content"),
        (#","node":"kms-a""#, "", false, "hash does not match its content"),
        (#""node":"kms-a""#, #""node":"kms-b""#, true, "prev_hash does not match"),
    ])
    func anEditedOrRemovedNodeIsReportedOnItsLine(target: String, replacement: String, rehash: Bool, problem: String) async throws {
        try await verifyTampered(node: "kms-a", { lines in
            let edited = replacing(target, with: replacement, in: lines[3])
            lines[3] = rehash ? rehashed(edited) : edited
        }) { path, verification in
            expectBroken(verification, path: path, line: 4, problem: problem)
        }
    }

    @Test func recordsWrittenBeforeRecordsNamedTheirNodeVerifyWithTheRecordsAfter() async throws {
        try await withAuditDirectory { directory in
            // A log left by a kmsd that wrote no node, continued by one that does.
            let oldFile = (directory as NSString).appendingPathComponent(AuditFileSet.fileName(firstSequence: 2))
            try write(lines: [Array(AuditLineTests.lineWithoutNode.utf8)], to: oldFile)
            let log = try openAuditLog(directory)
            try await log.append(Sample.record(3, node: "kms-a"))
            try await log.append(Sample.record(4, node: "kms-a"))
            log.close()
            let records = try chainRecords(in: directory)
            #expect(records.map(\.sequence) == [2, 3, 4])
            #expect(records.map(\.record.node) == [nil, "kms-a", "kms-a"])
            try expectIntact(try verifyChain(in: directory), records: 3, in: directory)
        }
    }

    @Test func anEditWithARecomputedHashIsReportedOnItsLine() async throws {
        try await verifyTampered({ lines in
            let edited = rehashed(replacing(#""principal":"alice""#, with: #""principal":"mallory""#, in: lines[3]))
            let forged = try AuditLine.decode(edited)
            #expect(AuditLine.contentHash(of: edited[...]) == forged.hash, "the forgery is self-consistent")
            lines[3] = edited
        }) { path, verification in
            expectBroken(verification, path: path, line: 4, problem: "prev_hash does not match")
        }
    }

    @Test func aDeletedLineIsReportedWhereItWas() async throws {
        try await verifyTampered({ lines in
            lines.remove(at: 3)
        }) { path, verification in
            expectBroken(verification, path: path, line: 4, problem: "missing")
        }
    }

    @Test func swappedLinesAreReportedAtTheFirst() async throws {
        try await verifyTampered({ lines in
            lines.swapAt(3, 4)
        }) { path, verification in
            expectBroken(verification, path: path, line: 4, problem: "missing")
        }
    }

    @Test func aDuplicatedLineIsReportedAtTheCopy() async throws {
        try await verifyTampered({ lines in
            lines.insert(lines[3], at: 4)
        }) { path, verification in
            expectBroken(verification, path: path, line: 5, problem: "inserted")
        }
    }

    @Test func aLastLineWithoutNewlineIsReported() async throws {
        try await withAuditDirectory { directory in
            let path = try await writeSampleChain(in: directory, count: 10)
            // Even a complete, correctly chained record is not accepted without its newline.
            let head = try AuditLine.decode(try #require(try lines(of: path).last))
            let next = AuditLine.encode(Sample.record(11), sequence: 11, previousHash: head.hash).line
            try append(next, to: path)
            expectBroken(try AuditVerifier.verify(paths: [path]), path: path, line: 11, problem: "incomplete")
        }
    }

    @Test func anEmptyLineIsReported() async throws {
        try await verifyTampered({ lines in
            lines.insert([], at: 6)
        }) { path, verification in
            expectBroken(verification, path: path, line: 7, problem: "not an audit record")
        }
    }

    @Test func aGarbageLineIsReported() async throws {
        try await verifyTampered({ lines in
            lines.append(Array("this is not json".utf8))
        }) { path, verification in
            expectBroken(verification, path: path, line: 11, problem: "not an audit record")
        }
    }

    @Test func aFirstRecordThatDoesNotFollowTheZeroHashIsReported() async throws {
        try await verifyTampered({ lines in
            lines[0] = rehashed(replacing(AuditLine.genesisHash, with: String(repeating: "1", count: 64), in: lines[0]))
        }) { path, verification in
            expectBroken(verification, path: path, line: 1, problem: "all-zero")
        }
    }

    @Test func tamperingInAnEarlierFileIsReportedInThatFile() async throws {
        try await withAuditDirectory { directory in
            let log = try openAuditLog(directory, maxFileBytes: 2000)
            try await appendSamples(1...20, to: log)
            log.close()
            let paths = try auditPaths(directory)
            try #require(paths.count >= 3)
            var content = try lines(of: paths[1])
            content[1] = rehashed(replacing(#""kms:Encrypt""#, with: #""kms:Decrypt""#, in: content[1]))
            try write(lines: content, to: paths[1])
            expectBroken(try AuditVerifier.verify(paths: paths), path: paths[1], line: 2, problem: "prev_hash does not match")
        }
    }

    @Test func aChainWhoseOldFilesWereRemovedIsCheckedFromItsFirstRecord() async throws {
        try await withAuditDirectory { directory in
            let log = try openAuditLog(directory, maxFileBytes: 2000)
            try await appendSamples(1...20, to: log)
            log.close()
            let paths = try auditPaths(directory)
            try #require(paths.count >= 3)
            guard case .intact(let records, let head) = try AuditVerifier.verify(paths: Array(paths.dropFirst())) else {
                Issue.record("a chain given from the middle should verify")
                return
            }
            #expect(records == 20 - (try lines(of: paths[0]).count))
            #expect(head?.sequence == 20)
        }
    }
}
