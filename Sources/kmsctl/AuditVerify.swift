import ArgumentParser
import Foundation
import KMSAudit

/// `kmsctl audit verify PATH...`: checks the hash chains of audit files offline, one chain
/// per node directory.
struct VerifyAudit: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the hash chain, signatures and checkpoints of audit log files without a server.",
        discussion: """
            A directory stands for its audit-*.jsonl files in chain order; files are checked in \
            the order given. Each directory is one chain (one node's log), and files named \
            before a directory are the older part of its chain (archived files); files named \
            after the last directory form one more chain. With one chain, prints `OK: N records \
            in M files; chain head sequence S hash H`, or `<path>:<line>: <problem>` on stderr \
            for the first broken record and exits with status 1. With several, checks each \
            chain separately and prints one line per chain, starting with its directory: \
            `<dir>: OK: …`, or `<dir>: BROKEN: <path>:<line>: <problem>` or \
            `<dir>: ERROR: <message>` on stderr; exits with status 1 if any chain did not \
            verify. With --verification-key (from `kmsd audit export-verification-key`), every \
            signature must verify and a signed chain must end signed; without it, signatures are \
            not checked (and the OK line says so). With --checkpoint (a copy of \
            audit.checkpoint_file), a chain that does not reach a checkpoint of its node, or \
            whose record at a checkpoint's sequence has another hash, is reported as truncated \
            or rewritten. Records cut off after the newest checkpoint are not found \
            (docs/AUDIT.md).
            """
    )

    @Argument(help: ArgumentHelp("Audit directories (one per node) or audit files, each chain in chain order.", valueName: "path"))
    var paths: [String]

    @Option(
        name: .customLong("verification-key"),
        help: ArgumentHelp("The audit verification key (PEM, or base64 of its 32 bytes): check every signature.", valueName: "file")
    )
    var verificationKeyFile: String?

    @Option(
        name: .customLong("checkpoint"),
        help: ArgumentHelp("A checkpoint file (audit.checkpoint_file): the chains must reach and match its checkpoints. Repeatable.", valueName: "file")
    )
    var checkpointFiles: [String] = []

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("give at least one audit directory or file") }
    }

    func execute() async throws {
        let options = try verificationOptions()
        let chains = AuditChainArguments.chains(in: paths).map { ChainResult($0, options: options) }
        if chains.count == 1 {
            try report(chains[0])
        } else {
            try report(chains)
        }
    }

    /// The verification key and the checkpoints (whose signatures the key must verify).
    ///
    /// - Throws: `CommandFailure` naming the file that cannot be read or used.
    private func verificationOptions() throws -> AuditVerificationOptions {
        var options = AuditVerificationOptions()
        if let verificationKeyFile {
            let text: String
            do {
                text = try String(contentsOfFile: verificationKeyFile, encoding: .utf8)
            } catch {
                throw CommandFailure("cannot read the verification key \(verificationKeyFile): \(error.localizedDescription)")
            }
            do {
                options.verificationKey = try AuditVerificationKey(text: text)
            } catch {
                throw CommandFailure("\(verificationKeyFile) is not an audit verification key: \(error)")
            }
        }
        for file in checkpointFiles {
            do {
                options.checkpoints += try AuditCheckpointFile.read(path: file, verificationKey: options.verificationKey)
            } catch {
                throw CommandFailure("\(error)")
            }
        }
        return options
    }

    /// One chain: the output of a single-chain call, unchanged since before several chains,
    /// with what signatures and checkpoints showed after the head.
    private func report(_ chain: ChainResult) throws {
        switch chain.outcome {
        case .unreadable(let message):
            throw CommandFailure(message)
        case .checked(.intact(let records, let head)):
            let head = head ?? .genesis
            if json {
                try printJSON(IntactReport(
                    intact: true, records: records, headSequence: head.sequence, headHash: head.hash,
                    signatures: chain.signatures, notes: chain.notes.isEmpty ? nil : chain.notes
                ))
            } else {
                print("OK: \(records) records in \(chain.fileCount) files; chain head sequence \(head.sequence) hash \(head.hash)\(chain.okSuffix)")
            }
        case .checked(.broken(let path, let line, let problem)):
            if json {
                try printJSON(BrokenReport(intact: false, path: path, line: line, problem: problem))
            } else {
                FileHandle.standardError.write(Data("\(path):\(line): \(problem)\n".utf8))
            }
            throw ExitCode.failure
        }
    }

    /// Several chains: one line (or JSON entry) each, in the order given.
    private func report(_ chains: [ChainResult]) throws {
        let failed = chains.filter { !$0.isIntact }.map(\.name)
        if json {
            try printJSON(ChainsReport(intact: failed.isEmpty, chains: chains.map(ChainReport.init)))
            if !failed.isEmpty { throw ExitCode.failure }
            return
        }
        for chain in chains {
            switch chain.outcome {
            case .checked(.intact(let records, let head)):
                let head = head ?? .genesis
                print("\(chain.name): OK: \(records) records in \(chain.fileCount) files; chain head sequence \(head.sequence) hash \(head.hash)\(chain.okSuffix)")
            case .checked(.broken(let path, let line, let problem)):
                writeError("\(chain.name): BROKEN: \(path):\(line): \(problem)")
            case .unreadable(let message):
                writeError("\(chain.name): ERROR: \(message)")
            }
        }
        if !failed.isEmpty {
            throw CommandFailure("\(failed.count) of \(chains.count) chains did not verify: \(failed.joined(separator: ", "))")
        }
    }

    /// Writes a line on stderr after what is buffered for stdout, so the lines keep their
    /// order when both go to one terminal or file.
    private func writeError(_ line: String) {
        fflush(nil)
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    private func printJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}

/// What checking one chain found.
private struct ChainResult {
    enum Outcome {
        case checked(AuditVerification)
        /// A directory could not be listed or holds no audit file, or a file could not be read.
        case unreadable(String)
    }

    let name: String
    let fileCount: Int
    let outcome: Outcome
    /// What signatures and checkpoints showed, once the chain was read.
    let report: AuditChainReport?

    init(_ chain: AuditChainArguments, options: AuditVerificationOptions) {
        name = chain.name
        let files: [String]
        do {
            files = try chain.files()
        } catch {
            fileCount = 0
            outcome = .unreadable("\(error)")
            report = nil
            return
        }
        fileCount = files.count
        do {
            let report = try AuditVerifier.verify(paths: files, options: options)
            outcome = .checked(report.verification)
            self.report = report
        } catch {
            outcome = .unreadable("cannot read the audit files: \(error)")
            report = nil
        }
    }

    var isIntact: Bool {
        if case .checked(.intact) = outcome { true } else { false }
    }

    /// What an intact chain's `OK` line adds after the head: `; note; note…`. Nothing for an
    /// unsigned chain checked without checkpoints, whose line stays as it always was.
    var okSuffix: String {
        notes.map { "; " + $0 }.joined()
    }

    /// The report's notes, with the option that would have checked unchecked signatures.
    var notes: [String] {
        (report?.notes ?? []).map {
            $0.replacingOccurrences(of: "(no verification key given)", with: "(no --verification-key)")
        }
    }

    /// `--json`'s `signatures`: `verified`, `not checked` or `none`.
    var signatures: String? {
        switch report?.signatures {
        case .verified: "verified"
        case .notChecked: "not checked"
        case .unsigned: "none"
        case nil: nil
        }
    }
}

/// `--json` output of an intact chain.
private struct IntactReport: Encodable {
    let intact: Bool
    let records: Int
    let headSequence: UInt64
    let headHash: String
    /// `verified`, `not checked` (signed, no key given) or `none` (no record is signed).
    let signatures: String?
    /// What the `OK` line adds after the head; absent when nothing.
    let notes: [String]?
}

/// `--json` output of a broken chain: where the first problem is, and what it is.
private struct BrokenReport: Encodable {
    let intact: Bool
    let path: String
    let line: Int
    let problem: String
}

/// `--json` output of several chains: `intact` only when every chain is.
private struct ChainsReport: Encodable {
    let intact: Bool
    let chains: [ChainReport]
}

/// One chain of `ChainsReport`: the fields of `IntactReport` or `BrokenReport`, or `error`
/// when the chain could not be read, with the chain's name.
private struct ChainReport: Encodable {
    let chain: String
    let intact: Bool
    var records: Int?
    var headSequence: UInt64?
    var headHash: String?
    var signatures: String?
    var notes: [String]?
    var path: String?
    var line: Int?
    var problem: String?
    var error: String?

    init(_ result: ChainResult) {
        chain = result.name
        intact = result.isIntact
        switch result.outcome {
        case .checked(.intact(let records, let head)):
            let head = head ?? .genesis
            self.records = records
            headSequence = head.sequence
            headHash = head.hash
            signatures = result.signatures
            notes = result.notes.isEmpty ? nil : result.notes
        case .checked(.broken(let path, let line, let problem)):
            self.path = path
            self.line = line
            self.problem = problem
        case .unreadable(let message):
            error = message
        }
    }
}
