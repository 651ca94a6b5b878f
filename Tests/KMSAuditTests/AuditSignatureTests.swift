import Crypto
import Foundation
import KMSAudit
import Testing

/// Signed chains (docs/AUDIT.md, "Signatures"): an insider who can write the files but not
/// read the root key cannot rewrite records, or cut them inside a group, without the
/// verifier saying where.
@Suite struct AuditSignatureTests {
    /// Ten records appended one at a time (ten groups, each signed), then `tamper`.
    private func signedChain(
        _ tamper: (inout [[UInt8]]) throws -> Void, check: (String, String) throws -> Void
    ) async throws {
        try await withAuditDirectory { directory in
            let log = try openSignedAuditLog(directory)
            try await appendSamples(1...10, to: log)
            log.close()
            let path = try #require(try auditPaths(directory).first)
            var content = try lines(of: path)
            try tamper(&content)
            try write(lines: content, to: path)
            try check(directory, path)
        }
    }

    @Test func aSignedLineEndsWithItsSignatureThenItsHash() async throws {
        try await signedChain({ _ in }) { _, path in
            let line = try #require(try lines(of: path).last)
            let text = String(decoding: line, as: UTF8.self)
            #expect(text.wholeMatch(of: /\{"seq":10,.*,"prev_hash":"[0-9a-f]{64}","sig":"[A-Za-z0-9+\/]{86}==","hash":"[0-9a-f]{64}"\}/) != nil, "\(text)")
            // The hash covers the signature; the signature covers the line without both.
            let record = try AuditLine.decode(line)
            #expect(AuditLine.contentHash(of: line[...]) == record.hash)
            let body = Array(text[..<text.range(of: #","sig":""#)!.lowerBound].utf8) + [UInt8(ascii: "}")]
            let digest = hexSHA256(body)
            #expect(AuditLine.signedDigest(of: line[...]) == digest)
            let message = Array("swift-kms/v1/audit-record\n".utf8) + Array(digest.utf8)
            let encoded = try #require(record.signature)
            let signature = try #require(Data(base64Encoded: encoded))
            #expect(TestKeys.signing.publicKey.isValidSignature(signature, for: message))
        }
    }

    @Test func anUntouchedSignedChainVerifiesWithTheKeyAndSaysSoWithout() async throws {
        try await signedChain({ _ in }) { directory, _ in
            let report = try verifySigned(directory)
            expectIntact(report, records: 10)
            #expect(report.signatures == .verified(count: 10, keyID: TestKeys.verification.keyID))
            #expect(report.notes == ["10 signatures verified with key \(TestKeys.verification.keyID)"])

            let unchecked = try verifySigned(directory, key: nil)
            expectIntact(unchecked, records: 10)
            #expect(unchecked.signatures == .notChecked(count: 10))
            #expect(unchecked.notes == ["10 signatures not checked (no verification key given)"])
            try expectIntact(try verifyChain(in: directory), records: 10, in: directory)
        }
    }

    @Test func theLastRecordRewrittenWithARecomputedHashIsReportedAtThatRecord() async throws {
        try await signedChain({ lines in
            lines[9] = rehashed(replacing(#""principal":"alice""#, with: #""principal":"mallory""#, in: lines[9]))
        }) { directory, path in
            let report = try verifySigned(directory)
            expectBroken(report.verification, path: path, line: 10, problem: "its signature does not verify")
            // The plain hashes are consistent: without the key nothing shows.
            expectIntact(try verifySigned(directory, key: nil), records: 10)
        }
    }

    @Test func theLastRecordRewrittenWithoutItsSignatureIsReportedAtThatRecord() async throws {
        try await signedChain({ lines in
            lines[9] = strippedOfSignature(replacing(#""principal":"alice""#, with: #""principal":"mallory""#, in: lines[9]))
        }) { directory, path in
            expectBroken(try verifySigned(directory).verification, path: path, line: 10, problem: "no signature covers the records from sequence 10 to the end")
            // A signed chain that ends unsigned is wrong without the key too.
            expectBroken(try verifySigned(directory, key: nil).verification, path: path, line: 10, problem: "no signature covers")
        }
    }

    @Test(arguments: [false, true])
    func aRewrittenSuffixIsReportedAtItsFirstRecord(removingSignatures: Bool) async throws {
        try await signedChain({ lines in
            rewriteSuffix(&lines, from: 5, removingSignatures: removingSignatures)
        }) { directory, path in
            let records = try chainRecords(in: directory)
            #expect(records[5].record.principal == "mallory", "the forgery is self-consistent")
            if removingSignatures {
                // A signed chain whose end lost its signatures is wrong without the key too.
                expectBroken(try verifyChain(in: directory), path: path, line: 6, problem: "no signature covers")
            } else {
                try expectIntact(try verifyChain(in: directory), records: 10, in: directory)
            }
            let problem = removingSignatures ? "no signature covers the records from sequence 6 to the end (sequence 10)" : "its signature does not verify"
            expectBroken(try verifySigned(directory).verification, path: path, line: 6, problem: problem)
        }
    }

    @Test func aRecordChangedInsideAGroupIsReportedFromTheGroupsFirstRecord() async throws {
        try await withAuditDirectory { directory in
            let log = try openSignedAuditLog(directory)
            try await appendSamples(1...3, to: log)
            try await log.append(contentsOf: (4...7).map { Sample.record($0) })
            try await appendSamples(8...9, to: log)
            log.close()
            let path = try #require(try auditPaths(directory).first)
            var content = try lines(of: path)
            #expect(content.map { try! AuditLine.decode($0).signature != nil } == [true, true, true, false, false, false, true, true, true])
            rewriteSuffix(&content, from: 5, removingSignatures: false)
            try write(lines: content, to: path)
            // Records 4–7 share one signature (on 7): the change is somewhere in them.
            expectBroken(
                try verifySigned(directory).verification, path: path, line: 4,
                problem: "a record from sequence 4 (this line) to 7 was changed: the signature of sequence 7 (line 7) does not verify"
            )
        }
    }

    @Test func concurrentAppendsAreSignedOncePerGroupAndVerify() async throws {
        try await withAuditDirectory { directory in
            let log = try openSignedAuditLog(directory)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for number in 1...200 {
                    group.addTask { try await log.append(Sample.record(number)) }
                }
                try await group.waitForAll()
            }
            let groups = log.statistics.groups
            log.close()
            let report = try verifySigned(directory)
            expectIntact(report, records: 200)
            #expect(report.signatures == .verified(count: groups, keyID: TestKeys.verification.keyID))
            #expect(try chainRecords(in: directory).last?.signature != nil)
        }
    }

    @Test func aChainSignedWithAnotherKeyFailsAtItsFirstSignature() async throws {
        try await signedChain({ _ in }) { directory, path in
            expectBroken(
                try verifySigned(directory, key: TestKeys.otherVerification).verification, path: path, line: 1,
                problem: "does not verify with the verification key (key id \(TestKeys.otherVerification.keyID)): the log was signed with another key"
            )
        }
    }

    @Test func aRecordSignedByAForgerWithItsOwnKeyIsReported() async throws {
        try await signedChain({ lines in
            let last = try AuditLine.decode(lines[8])
            lines[9] = AuditLine.encode(Sample.record(10, principal: "mallory"), sequence: 10, previousHash: last.hash, signingKey: TestKeys.other).line
        }) { directory, path in
            expectBroken(try verifySigned(directory).verification, path: path, line: 10, problem: "its signature does not verify")
        }
    }

    @Test func swappedFilesAreReported() async throws {
        try await withAuditDirectory { directory in
            let log = try openSignedAuditLog(directory, maxFileBytes: 2000)
            try await appendSamples(1...20, to: log)
            log.close()
            let paths = try auditPaths(directory)
            try #require(paths.count >= 3)
            // Swapped contents: each file's name now says another first sequence.
            let second = try contents(of: paths[1])
            try Data(try contents(of: paths[2])).write(to: URL(filePath: paths[1]))
            try Data(second).write(to: URL(filePath: paths[2]))
            expectBroken(try verifySigned(directory).verification, path: paths[1], line: 1, problem: "the file is named for sequence")
            expectBroken(try verifyChain(in: directory), path: paths[1], line: 1, problem: "swapped")
        }
    }

    @Test func oldUnsignedRecordsAreCoveredByAStartCheckpointAndReported() async throws {
        try await withAuditDirectory { directory in
            // A log from before signing, then a kmsd that signs.
            let old = try openAuditLog(directory)
            try await appendSamples(1...5, to: old)
            old.close()
            let unsigned = try verifySigned(directory)
            expectIntact(unsigned, records: 5)
            #expect(unsigned.signatures == .unsigned)
            #expect(unsigned.notes == ["no record is signed: all 5 were written before signing was on"])
            #expect(try verifySigned(directory, key: nil).notes.isEmpty, "an unsigned chain checked without a key reports as before")

            let (logger, recorded) = recordingLogger()
            let log = try openSignedAuditLog(directory, logger: logger)
            try await appendSamples(7...8, to: log)
            log.close()
            #expect(recorded.messages(at: .warning).contains { $0.contains("no signature covers") })
            let records = try chainRecords(in: directory)
            #expect(records[5].record.checkpoint == .start && records[5].signature != nil)
            #expect(records[5].record.principal == AuditRecord.checkpointPrincipal)
            let report = try verifySigned(directory)
            expectIntact(report, records: 8)
            #expect(report.unsignedRuns == [.init(first: 1, last: 5, coveredBy: 6)])
            #expect(report.notes.contains("records 1–5 are unsigned, written before signing was on (or cut off from their group by a crash); signed over by the start checkpoint at sequence 6"))
        }
    }

    @Test func unsignedRecordsAfterSignedOnesAreAnErrorUntilKmsdSignsOverThem() async throws {
        try await withAuditDirectory { directory in
            let signed = try openSignedAuditLog(directory)
            try await appendSamples(1...4, to: signed)
            signed.close()
            // Records written without the key after signed ones (as a crash leaves the first
            // part of a group whose signed last record was never written).
            let unsigned = try openAuditLog(directory)
            try await appendSamples(5...6, to: unsigned)
            unsigned.close()
            let path = try #require(try auditPaths(directory).first)
            expectBroken(try verifySigned(directory).verification, path: path, line: 5, problem: "no signature covers the records from sequence 5 to the end (sequence 6)")

            let log = try openSignedAuditLog(directory)
            log.close()
            let report = try verifySigned(directory)
            expectIntact(report, records: 7)
            #expect(report.unsignedRuns == [.init(first: 5, last: 6, coveredBy: 7)])
        }
    }

    @Test func startingWithAnotherKeyLogsThatTheLastSignatureDoesNotVerify() async throws {
        try await withAuditDirectory { directory in
            let log = try openSignedAuditLog(directory)
            try await appendSamples(1...2, to: log)
            log.close()
            let (logger, recorded) = recordingLogger()
            try openSignedAuditLog(directory, key: TestKeys.other, logger: logger).close()
            #expect(recorded.messages(at: .error).contains { $0.contains("does not verify") })
            let (quiet, none) = recordingLogger()
            try openSignedAuditLog(directory, logger: quiet).close()
            #expect(none.messages(at: .error).isEmpty)
        }
    }

    @Test func aMalformedSignatureIsNotAnAuditRecord() async throws {
        try await signedChain({ lines in
            let text = String(decoding: lines[4], as: UTF8.self)
            let range = try #require(text.range(of: #""sig":"[A-Za-z0-9+/=]{88}""#, options: .regularExpression))
            lines[4] = rehashed(Array(text.replacingCharacters(in: range, with: #""sig":"c2lnbmF0dXJl""#).utf8))
        }) { directory, path in
            expectBroken(try verifySigned(directory, key: nil).verification, path: path, line: 5, problem: "not an audit record (sig is not the base64")
        }
    }

    @Test func theVerificationKeyReadsAsPEMOrBase64() throws {
        let key = TestKeys.verification
        #expect(key.pemRepresentation.hasPrefix("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA"))
        #expect(try AuditVerificationKey(text: key.pemRepresentation) == key)
        #expect(try AuditVerificationKey(text: Data(key.rawRepresentation).base64EncodedString() + "\n") == key)
        #expect(key.keyID.count == 16)
        #expect(throws: AuditVerificationKeyError.self) { try AuditVerificationKey(text: "not a key") }
        #expect(throws: AuditVerificationKeyError.self) { try AuditVerificationKey(text: Data(repeating: 1, count: 31).base64EncodedString()) }
        #expect("\(key)".contains(key.keyID))
    }
}
