import Crypto
import Foundation
import KMSAudit
import Testing

/// Checkpoints (docs/AUDIT.md, "Checkpoints"): signed records of the chain's head, kept in a
/// second file, so that records cut off the end of the log, or a chain rewritten before a
/// checkpoint, show.
@Suite struct AuditCheckpointTests {
    /// Runs `body` with an audit directory and a checkpoint file in another directory.
    private func withCheckpointedLog(_ body: (String, String) async throws -> Void) async throws {
        try await withAuditDirectory { directory in
            try await withAuditDirectory { elsewhere in
                try await body(directory, (elsewhere as NSString).appendingPathComponent("checkpoints.jsonl"))
            }
        }
    }

    /// Records 1–5, checkpoint 6, records 7–9, checkpoint 10, record 11, then the shutdown
    /// checkpoint 12 at close.
    private func writeCheckpointedLog(_ directory: String, checkpointFile: String, node: String? = "kms-a") async throws {
        let log = try openSignedAuditLog(directory, node: node, checkpointFile: checkpointFile)
        try await appendSamples(1...5, node: node, to: log)
        let first = try #require(try await log.writeCheckpoint())
        #expect(first.sequence == 6 && first.node == node && first.reason == .periodic)
        try await appendSamples(7...9, node: node, to: log)
        #expect(try await log.writeCheckpoint()?.sequence == 10)
        #expect(try await log.writeCheckpoint() == nil, "nothing was added since the last checkpoint")
        try await appendSamples(11...11, node: node, to: log)
        log.close()
    }

    @Test func checkpointsGoToTheLogAndTheFileSignedAndVerify() async throws {
        try await withCheckpointedLog { directory, checkpointFile in
            try await writeCheckpointedLog(directory, checkpointFile: checkpointFile)
            let records = try chainRecords(in: directory)
            #expect(records.filter { $0.record.checkpoint != nil }.map(\.sequence) == [6, 10, 12])
            #expect(records[11].record.checkpoint == .shutdown)
            #expect(records.filter { $0.record.checkpoint != nil }.allSatisfy { $0.signature != nil && $0.record.action == AuditRecord.checkpointAction })

            let entries = try AuditCheckpointFile.read(path: checkpointFile, verificationKey: TestKeys.verification)
            #expect(entries.map(\.checkpoint.sequence) == [6, 10, 12])
            #expect(entries.map(\.checkpoint.hash) == [records[5].hash, records[9].hash, records[11].hash])
            #expect(entries.map(\.checkpoint.reason) == [.periodic, .periodic, .shutdown])
            #expect(entries.map(\.line) == [1, 2, 3])
            let line = String(decoding: try #require(try lines(of: checkpointFile).first), as: UTF8.self)
            #expect(line.wholeMatch(of: /\{"node":"kms-a","seq":6,"hash":"[0-9a-f]{64}","time":"[0-9T:.\-]{26}Z","checkpoint":"periodic","sig":"[A-Za-z0-9+\/]{86}=="\}/) != nil, "\(line)")

            let report = try verifySigned(directory, checkpointFiles: [checkpointFile])
            expectIntact(report, records: 12)
            #expect(report.checkpointsMatched.map(\.checkpoint.sequence) == [6, 10, 12])
            #expect(report.notes.last?.hasPrefix("3 checkpoints match, the newest at sequence 12 (\(checkpointFile):3, ") == true)
        }
    }

    @Test func aTailCutAfterACheckpointIsReported() async throws {
        try await withCheckpointedLog { directory, checkpointFile in
            try await writeCheckpointedLog(directory, checkpointFile: checkpointFile)
            let path = try #require(try auditPaths(directory).first)
            // Cut records 9–12: what is left is a well-signed, shorter chain.
            try write(lines: Array(try lines(of: path).prefix(8)), to: path)
            expectIntact(try verifySigned(directory), records: 8)
            expectBroken(
                try verifySigned(directory, checkpointFiles: [checkpointFile]).verification, path: path, line: 8,
                problem: "truncated after this record: the chain ends at sequence 8, but checkpoint 12 (\(checkpointFile):3, "
            )
            // Without the key the checkpoint still shows the cut.
            expectBroken(try verifySigned(directory, key: nil, checkpointFiles: [checkpointFile]).verification, path: path, line: 8, problem: "records 9–12 and any after them were cut")
        }
    }

    @Test func aChainRewrittenBeforeACheckpointIsReportedAtTheCheckpointsSequenceWithoutTheKey() async throws {
        try await withCheckpointedLog { directory, checkpointFile in
            try await writeCheckpointedLog(directory, checkpointFile: checkpointFile)
            let path = try #require(try auditPaths(directory).first)
            var content = try lines(of: path)
            rewriteSuffix(&content, from: 2, removingSignatures: true)
            try write(lines: content, to: path)
            let checkpoints = try AuditCheckpointFile.read(path: checkpointFile, verificationKey: nil)
            let report = try AuditVerifier.verify(paths: [path], options: AuditVerificationOptions(checkpoints: checkpoints))
            expectBroken(report.verification, path: path, line: 6, problem: "rewritten: checkpoint 6 (")
            expectBroken(try verifySigned(directory, checkpointFiles: [checkpointFile]).verification, path: path, line: 6, problem: "rewritten: checkpoint 6 (")
            // With the key and no checkpoints, the first rewritten record is found.
            expectBroken(try verifySigned(directory).verification, path: path, line: 3, problem: "no signature covers the records from sequence 3")
        }
    }

    @Test func checkpointsOfOtherNodesOrBeforeTheFilesGivenAreNotHeldAgainstAChain() async throws {
        try await withCheckpointedLog { directory, checkpointFile in
            try await writeCheckpointedLog(directory, checkpointFile: checkpointFile, node: "kms-a")
            try await withAuditDirectory { other in
                let log = try openSignedAuditLog(other, node: "kms-b")
                try await appendSamples(1...3, node: "kms-b", to: log)
                log.close()
                let report = try verifySigned(other, checkpointFiles: [checkpointFile])
                expectIntact(report, records: 3)
                #expect(report.notes.last == "no checkpoint of this chain to check")
            }
        }
    }

    @Test func aChangedCheckpointIsRefusedWithTheKey() async throws {
        try await withCheckpointedLog { directory, checkpointFile in
            try await writeCheckpointedLog(directory, checkpointFile: checkpointFile)
            var content = try lines(of: checkpointFile)
            content[1] = replacing(#""seq":10,"#, with: #""seq":9,"#, in: content[1])
            try write(lines: content, to: checkpointFile)
            #expect(throws: AuditCheckpointFileError.self) { try AuditCheckpointFile.read(path: checkpointFile, verificationKey: TestKeys.verification) }
            do {
                _ = try AuditCheckpointFile.read(path: checkpointFile, verificationKey: TestKeys.verification)
            } catch {
                #expect("\(error)".hasPrefix("\(checkpointFile):2: the checkpoint's signature does not verify"))
            }
            #expect(try AuditCheckpointFile.read(path: checkpointFile, verificationKey: nil).count == 3)
        }
    }

    @Test func aTornLastCheckpointLineIsLeftOut() async throws {
        try await withCheckpointedLog { directory, checkpointFile in
            try await writeCheckpointedLog(directory, checkpointFile: checkpointFile)
            try append(Array(#"{"node":"kms-a","seq":13,"#.utf8), to: checkpointFile)
            #expect(try AuditCheckpointFile.read(path: checkpointFile, verificationKey: TestKeys.verification).count == 3)
        }
    }

    @Test func recordsAddedWhileKmsdWasStoppedAfterACleanShutdownAreReported() async throws {
        try await withCheckpointedLog { directory, checkpointFile in
            try await writeCheckpointedLog(directory, checkpointFile: checkpointFile)
            // An insider appends records without the key; kmsd starts and signs over them.
            let unsigned = try openAuditLog(directory)
            try await appendSamples(13...14, node: "kms-a", to: unsigned)
            unsigned.close()
            try openSignedAuditLog(directory, node: "kms-a", checkpointFile: checkpointFile).close()
            let path = try #require(try auditPaths(directory).first)
            #expect(try chainRecords(in: directory).last?.record.checkpoint == .start)
            expectBroken(
                try verifySigned(directory, checkpointFiles: [checkpointFile]).verification, path: path, line: 13,
                problem: "records 13–14 were added after kmsd shut down"
            )
        }
    }

    @Test func aLogWithoutSigningKeyWritesNoCheckpoints() async throws {
        try await withAuditDirectory { directory in
            let log = try openAuditLog(directory)
            defer { log.close() }
            try await appendSamples(1...2, to: log)
            #expect(try await log.writeCheckpoint() == nil)
            #expect(log.verificationKey == nil)
        }
    }

    @Test func runCheckpointsWritesOnlyWhileRecordsAreAdded() async throws {
        try await withCheckpointedLog { directory, checkpointFile in
            let log = try AuditLog(
                options: AuditLogOptions(directory: directory, checkpointSeconds: 1, checkpointFile: checkpointFile),
                contextKey: SymmetricKey(size: .bits256), signingKey: TestKeys.signing, logger: .init(label: "KMSAuditTests")
            )
            let loop = Task { await log.runCheckpoints() }
            try await appendSamples(1...2, to: log)
            try await Task.sleep(for: .milliseconds(2500))
            loop.cancel()
            await loop.value
            log.close()
            let checkpoints = try AuditCheckpointFile.read(path: checkpointFile, verificationKey: TestKeys.verification)
            #expect(checkpoints.map(\.checkpoint.sequence) == [3], "one checkpoint, none while idle")
        }
    }
}
