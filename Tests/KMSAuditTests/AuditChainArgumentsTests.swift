import Foundation
import KMSAudit
import Testing

/// `kmsctl audit verify` with several paths: one chain per node directory, each checked on
/// its own; files named before a directory are the older part of its chain.
@Suite struct AuditChainArgumentsTests {
    /// Makes `name` under `directory` and returns its path.
    private func subdirectory(_ name: String, in directory: String) throws -> String {
        let path = (directory as NSString).appendingPathComponent(name)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    /// Each chain's name and verification.
    private func verifyEach(_ paths: [String]) throws -> [(String, AuditVerification)] {
        try AuditChainArguments.chains(in: paths).map { chain in (chain.name, try AuditVerifier.verify(paths: chain.files())) }
    }

    @Test func eachNodeDirectoryIsItsOwnChainAndATamperedOneIsReportedAlone() async throws {
        try await withAuditDirectory { directory in
            let nodeA = try subdirectory("node-a", in: directory)
            let nodeB = try subdirectory("node-b", in: directory)
            let nodeC = try subdirectory("node-c", in: directory)
            _ = try await writeSampleChain(in: nodeA, count: 10, node: "node-a")
            let tampered = try await writeSampleChain(in: nodeB, count: 7, node: "node-b")
            _ = try await writeSampleChain(in: nodeC, count: 3, node: "node-c")
            var content = try lines(of: tampered)
            content[4] = replacing(#""principal":"alice""#, with: #""principal":"mallory""#, in: content[4])
            try write(lines: content, to: tampered)

            let chains = AuditChainArguments.chains(in: [nodeA, nodeB, nodeC])
            #expect(chains == [
                AuditChainArguments(name: nodeA, paths: [nodeA]),
                AuditChainArguments(name: nodeB, paths: [nodeB]),
                AuditChainArguments(name: nodeC, paths: [nodeC]),
            ])
            let results = try verifyEach([nodeA, nodeB, nodeC])
            #expect(results.map(\.0) == [nodeA, nodeB, nodeC])
            try expectIntact(results[0].1, records: 10, in: nodeA)
            expectBroken(results[1].1, path: tampered, line: 5, problem: "hash does not match its content")
            try expectIntact(results[2].1, records: 3, in: nodeC)
            // Checked as one chain, the second node's records would look inserted.
            let asOne = try AuditVerifier.verify(paths: auditPaths(nodeA) + auditPaths(nodeC))
            expectBroken(asOne, path: try auditPaths(nodeC)[0], line: 1, problem: "inserted")
        }
    }

    @Test func filesNamedBeforeADirectoryAreTheOlderPartOfItsChain() async throws {
        try await withAuditDirectory { directory in
            let live = try subdirectory("live", in: directory)
            let archive = try subdirectory("archive", in: directory)
            let log = try openAuditLog(live, maxFileBytes: 2000)
            try await appendSamples(1...20, node: "node-a", to: log)
            log.close()
            // The oldest files archived elsewhere.
            let files = try auditPaths(live)
            try #require(files.count >= 3)
            var archived: [String] = []
            for file in files.prefix(2) {
                let moved = (archive as NSString).appendingPathComponent((file as NSString).lastPathComponent)
                try FileManager.default.moveItem(atPath: file, toPath: moved)
                archived.append(moved)
            }
            let chains = AuditChainArguments.chains(in: archived + [live])
            #expect(chains == [AuditChainArguments(name: live, paths: archived + [live])])
            #expect(try chains[0].files() == archived + (try auditPaths(live)))
            guard case .intact(let records, let head) = try AuditVerifier.verify(paths: chains[0].files()) else {
                Issue.record("the archived files and the live directory make one intact chain")
                return
            }
            #expect(records == 20 && head?.sequence == 20)
            // Leaving out an archived file in the middle is found.
            let gap = try AuditVerifier.verify(paths: AuditChainArguments(name: live, paths: [archived[0], live]).files())
            if case .intact = gap { Issue.record("a missing file in the middle went unnoticed") }
        }
    }

    @Test func filesAloneAreOneChainAndFilesAfterTheLastDirectoryAnother() async throws {
        try await withAuditDirectory { directory in
            let node = try subdirectory("node-a", in: directory)
            let first = (directory as NSString).appendingPathComponent("one.jsonl")
            let second = (directory as NSString).appendingPathComponent("two.jsonl")
            #expect(AuditChainArguments.chains(in: [first, second]) == [AuditChainArguments(name: second, paths: [first, second])])
            #expect(AuditChainArguments.chains(in: [first, node, second]) == [
                AuditChainArguments(name: node, paths: [first, node]),
                AuditChainArguments(name: second, paths: [second]),
            ])
            // A path that does not exist is a file, reported when it is read.
            #expect(try AuditChainArguments.chains(in: [first])[0].files() == [first])
        }
    }

    @Test func aDirectoryWithoutAuditFilesIsAnError() async throws {
        try await withAuditDirectory { directory in
            let empty = try subdirectory("empty", in: directory)
            let chain = try #require(AuditChainArguments.chains(in: [empty]).first)
            #expect(chain.name == empty)
            #expect { try chain.files() } throws: { error in
                "\(error)" == "no audit files (audit-*.jsonl) in '\(empty)'"
            }
        }
    }
}
