import ArgumentParser
import Foundation
import KMSAudit

/// `kmsctl audit verify PATH...`: checks the hash chain of audit files offline.
struct VerifyAudit: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the hash chain of audit log files without a server.",
        discussion: """
            A directory stands for its audit-*.jsonl files in chain order; files are checked in \
            the order given. Prints `OK: N records in M files; chain head sequence S hash H`, or \
            `<path>:<line>: <problem>` on stderr for the first broken record and exits with \
            status 1. Records cut off the end of the chain are found only by comparing the head \
            with one kept elsewhere (docs/AUDIT.md).
            """
    )

    @Argument(help: ArgumentHelp("Audit directories or audit files, in chain order.", valueName: "path"))
    var paths: [String]

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("give at least one audit directory or file") }
    }

    func execute() async throws {
        let files = try auditFiles()
        let result: AuditVerification
        do {
            result = try AuditVerifier.verify(paths: files)
        } catch {
            throw CommandFailure("cannot read the audit files: \(error)")
        }
        switch result {
        case .intact(let records, let head):
            let head = head ?? .genesis
            if json {
                try printJSON(IntactReport(intact: true, records: records, headSequence: head.sequence, headHash: head.hash))
            } else {
                print("OK: \(records) records in \(files.count) files; chain head sequence \(head.sequence) hash \(head.hash)")
            }
        case .broken(let path, let line, let problem):
            if json {
                try printJSON(BrokenReport(intact: false, path: path, line: line, problem: problem))
            } else {
                FileHandle.standardError.write(Data("\(path):\(line): \(problem)\n".utf8))
            }
            throw ExitCode.failure
        }
    }

    /// The files to check: each directory's audit files in chain order, other paths as given.
    ///
    /// - Throws: `CommandFailure` when a directory cannot be listed or holds no audit file.
    private func auditFiles() throws(CommandFailure) -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                files.append(path)
                continue
            }
            let found: [AuditFile]
            do {
                found = try AuditFileSet.files(in: path)
            } catch {
                throw CommandFailure("\(error)")
            }
            guard !found.isEmpty else { throw CommandFailure("no audit files (audit-*.jsonl) in '\(path)'") }
            files += found.map(\.path)
        }
        return files
    }

    private func printJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}

/// `--json` output of an intact chain.
private struct IntactReport: Encodable {
    let intact: Bool
    let records: Int
    let headSequence: UInt64
    let headHash: String
}

/// `--json` output of a broken chain: where the first problem is, and what it is.
private struct BrokenReport: Encodable {
    let intact: Bool
    let path: String
    let line: Int
    let problem: String
}
