import Foundation

/// The outcome of checking audit files.
public enum AuditVerification: Sendable, Equatable {
    /// Every record is intact and in order; `head` is the last record's.
    case intact(records: Int, head: AuditChainHead?)
    /// The first problem found: the file, the 1-based line, and what is wrong.
    case broken(path: String, line: Int, problem: String)
}

/// What `AuditVerifier.verify(paths:options:)` checks beside the hash chain.
public struct AuditVerificationOptions: Sendable {
    /// The key that must verify every signature (`kmsd audit export-verification-key`);
    /// `nil` checks hashes and links only, and says signatures were not checked.
    public var verificationKey: AuditVerificationKey?
    /// Checkpoints kept apart from the log (`audit.checkpoint_file`); those naming the
    /// chain's node must match it: its record at each checkpoint's sequence must have the
    /// checkpoint's hash, and the chain must reach every checkpoint.
    public var checkpoints: [AuditCheckpointEntry]

    public init(verificationKey: AuditVerificationKey? = nil, checkpoints: [AuditCheckpointEntry] = []) {
        self.verificationKey = verificationKey
        self.checkpoints = checkpoints
    }
}

/// Everything checking one chain found: the verdict, and what an intact chain's
/// signatures and checkpoints showed.
public struct AuditChainReport: Sendable, Equatable {
    /// What the signatures showed.
    public enum Signatures: Sendable, Equatable {
        /// No record is signed (written before signing was on).
        case unsigned
        /// Records are signed, but no verification key was given.
        case notChecked(count: Int)
        /// Every signature verified with the key.
        case verified(count: Int, keyID: String)
    }

    /// Records that carry no signature of their own and that a `start` checkpoint signed over
    /// later: written before signing was on, or the rest of their group was cut off by a
    /// crash (or they were added while `kmsd` was stopped).
    public struct UnsignedRun: Sendable, Equatable {
        public let first: UInt64
        public let last: UInt64
        /// The sequence of the `start` checkpoint whose signature covers them.
        public let coveredBy: UInt64

        public init(first: UInt64, last: UInt64, coveredBy: UInt64) {
            self.first = first
            self.last = last
            self.coveredBy = coveredBy
        }
    }

    public var verification: AuditVerification
    public var signatures: Signatures = .unsigned
    public var unsignedRuns: [UnsignedRun] = []
    /// The checkpoints of this chain that were checked against it.
    public var checkpointsMatched: [AuditCheckpointEntry] = []
    /// Checkpoints of this chain before its first record (older files not given).
    public var checkpointsBeforeChain = 0
    /// Whether checkpoints were given at all.
    public var checkpointsGiven = false
    /// Whether a verification key was given.
    public var verificationKeyGiven = false

    public var isIntact: Bool {
        if case .intact = verification { true } else { false }
    }

    /// What an intact chain's report adds to its `OK` line, in order: signatures, unsigned
    /// records, checkpoints. Empty for an unsigned chain checked without key or checkpoints,
    /// so the output of such a check is what it was before signatures.
    public var notes: [String] {
        var notes: [String] = []
        switch signatures {
        case .unsigned:
            if verificationKeyGiven, case .intact(let records, _) = verification, records > 0 {
                notes.append("no record is signed: all \(records) were written before signing was on")
            }
        case .notChecked(let count): notes.append("\(count) signatures not checked (no verification key given)")
        case .verified(let count, let keyID): notes.append("\(count) signatures verified with key \(keyID)")
        }
        for run in unsignedRuns {
            let records = run.first == run.last ? "record \(run.first) is" : "records \(run.first)–\(run.last) are"
            notes.append(
                "\(records) unsigned, written before signing was on (or cut off from their group by a crash); signed over by the start checkpoint at sequence \(run.coveredBy)"
            )
        }
        if checkpointsGiven {
            if let newest = checkpointsMatched.max(by: { $0.checkpoint.sequence < $1.checkpoint.sequence }) {
                notes.append("\(checkpointsMatched.count) checkpoints match, the newest at sequence \(newest.checkpoint.sequence) (\(newest.place))")
            } else {
                notes.append("no checkpoint of this chain to check")
            }
            if checkpointsBeforeChain > 0 {
                notes.append("\(checkpointsBeforeChain) checkpoints are before the first record given (not checked)")
            }
        }
        return notes
    }
}

/// Checks the hash chain of audit files given in chain order (`kmsctl audit verify`).
///
/// Each line's `hash` must match its content (else the record was changed); sequence
/// numbers must rise by one (else records were removed, inserted or reordered); each
/// `prev_hash` must be the previous record's hash (else the previous record was changed
/// and its hash recomputed); the first record of the chain (sequence 1) must follow the
/// all-zero hash; a file named `audit-<seq>.jsonl` must start with that sequence. A chain
/// given from the middle is checked from its first record on.
///
/// Signatures and checkpoints (`verify(paths:options:)`): with a verification key, every
/// `sig` must verify; once a record is signed, every later record must be covered by a
/// later signature (the chain ends with a signed record); a checkpoint's sequence must be
/// in the chain with the checkpoint's hash.
public enum AuditVerifier {
    /// Checks `paths` in the order given: hashes, links and sequence numbers (and that a
    /// signed chain ends signed), without a verification key or checkpoints.
    ///
    /// - Throws: `AuditIOError` when a file cannot be read.
    public static func verify(paths: [String]) throws(AuditIOError) -> AuditVerification {
        try verify(paths: paths, options: AuditVerificationOptions()).verification
    }

    /// Checks `paths` in the order given, with the signatures and checkpoints of `options`.
    ///
    /// - Throws: `AuditIOError` when a file cannot be read.
    public static func verify(paths: [String], options: AuditVerificationOptions) throws(AuditIOError) -> AuditChainReport {
        var check = AuditChainCheck(options: options)
        for path in paths {
            let named = AuditFileSet.firstSequence(ofFileName: (path as NSString).lastPathComponent)
            var reader = try AuditLineReader(path: path)
            var firstInFile = true
            while let line = try reader.next() {
                if let problem = check.add(line, path: path, fileNamedFor: firstInFile ? named : nil) {
                    return check.report(problem)
                }
                firstInFile = false
            }
        }
        return check.finish()
    }
}

/// The checks of one chain, fed one line at a time: the pure part of `AuditVerifier`.
struct AuditChainCheck {
    private typealias Place = (path: String, line: Int, sequence: UInt64)

    private let key: AuditVerificationKey?
    private let checkpointsGiven: Bool
    private let checkpoints: [UInt64: [AuditCheckpointEntry]]
    private var previous: (path: String, line: Int, record: ChainedAuditRecord)?
    private var firstSequence: UInt64?
    private var count = 0
    private var nodes: Set<String?> = []
    private var signatures = 0
    /// Whether a signature or a matching checkpoint was seen: from then on every record
    /// must be covered by a later signature.
    private var anchored = false
    /// The first record that no signature covers yet.
    private var uncovered: Place?
    /// Whether the record before `uncovered` is a `shutdown` checkpoint.
    private var uncoveredAfterShutdown = false
    private var unsignedRuns: [AuditChainReport.UnsignedRun] = []
    private var matched: [AuditCheckpointEntry] = []

    init(options: AuditVerificationOptions) {
        key = options.verificationKey
        checkpointsGiven = !options.checkpoints.isEmpty
        checkpoints = Dictionary(grouping: options.checkpoints, by: \.checkpoint.sequence)
    }

    /// Checks the next line.
    ///
    /// - Parameter fileNamedFor: For the first line of a file named `audit-<seq>.jsonl`,
    ///   that sequence.
    /// - Returns: the first problem, when this line shows one.
    mutating func add(_ line: AuditLineReader.Line, path: String, fileNamedFor: UInt64?) -> AuditVerification? {
        let broken = { (problem: String) in AuditVerification.broken(path: path, line: line.number, problem: problem) }
        guard line.terminated else {
            return broken("the last line is incomplete (a write cut off by a crash): it has no newline")
        }
        let record: ChainedAuditRecord
        do {
            record = try AuditLine.decode(line.bytes)
        } catch {
            return broken("not an audit record (\(error))")
        }
        guard AuditLine.contentHash(of: line.bytes) == record.hash else {
            return broken("the record was changed: its hash does not match its content")
        }
        if let fileNamedFor, record.sequence != fileNamedFor {
            return broken(
                "the file is named for sequence \(fileNamedFor) but starts with sequence \(record.sequence): files were renamed, swapped or copied over one another"
            )
        }
        if let previous {
            let expected = previous.record.sequence + 1
            if record.sequence > expected {
                return broken("\(record.sequence - expected) record(s) missing before this line (sequence \(previous.record.sequence) is followed by \(record.sequence)): removed or reordered")
            }
            if record.sequence < expected {
                return broken("sequence \(record.sequence) after \(previous.record.sequence): a record was inserted or reordered")
            }
            if record.previousHash != previous.record.hash {
                return .broken(
                    path: previous.path, line: previous.line,
                    problem: "the record was changed: the next record's prev_hash does not match it"
                )
            }
        } else if record.sequence == 1, record.previousHash != AuditLine.genesisHash {
            return broken("the first record of the chain does not follow the all-zero hash")
        }
        var checkpointHere = false
        for entry in checkpoints[record.sequence] ?? [] where entry.checkpoint.node == record.record.node {
            guard entry.checkpoint.hash == record.hash else {
                return broken(
                    "rewritten: checkpoint \(entry.checkpoint.sequence) (\(entry.place)) says the record at sequence \(record.sequence) has hash \(entry.checkpoint.hash), but it has \(record.hash): the chain was rewritten up to here"
                )
            }
            matched.append(entry)
            checkpointHere = true
        }
        let here: Place = (path, line.number, record.sequence)
        if let signature = record.signature {
            if let key {
                guard let digest = AuditLine.signedDigest(of: line.bytes), key.isValidSignature(signature, .record, digestHex: digest) else {
                    let from = uncovered ?? here
                    return .broken(path: from.path, line: from.line, problem: signatureProblem(at: here, from: from, key: key))
                }
            }
            if let uncovered, record.record.checkpoint == .start {
                // After a clean shutdown the log ends signed: nothing unsigned can follow it
                // until kmsd writes again, and a start checkpoint only follows a crash.
                guard !uncoveredAfterShutdown else {
                    return .broken(
                        path: uncovered.path, line: uncovered.line,
                        problem: "records \(uncovered.sequence)–\(record.sequence - 1) were added after kmsd shut down (the shutdown checkpoint before them) and before it started again: written by someone else, then signed over by the start checkpoint at sequence \(record.sequence)"
                    )
                }
                unsignedRuns.append(.init(first: uncovered.sequence, last: record.sequence - 1, coveredBy: record.sequence))
            }
            signatures += 1
            uncovered = nil
            anchored = true
        } else if checkpointHere {
            uncovered = nil
            anchored = true
        } else if uncovered == nil {
            uncovered = here
            uncoveredAfterShutdown = previous?.record.record.checkpoint == .shutdown
        }
        if firstSequence == nil { firstSequence = record.sequence }
        nodes.insert(record.record.node)
        previous = (path, line.number, record)
        count += 1
        return nil
    }

    private func signatureProblem(at signed: Place, from: Place, key: AuditVerificationKey) -> String {
        let what = from.sequence == signed.sequence ? "this record" : "sequence \(signed.sequence) (\(signed.path == from.path ? "line \(signed.line)" : "\(signed.path):\(signed.line)"))"
        if signatures == 0 {
            return "the signature of \(what) does not verify with the verification key (key id \(key.keyID)): the log was signed with another key (another root key, or the wrong verification key), or a record up to sequence \(signed.sequence) was changed"
        }
        if from.sequence == signed.sequence {
            return "the record was changed: its signature does not verify (its hash was recomputed)"
        }
        return "a record from sequence \(from.sequence) (this line) to \(signed.sequence) was changed: the signature of \(what) does not verify (their hashes were recomputed)"
    }

    /// The report of a chain broken by `problem`.
    func report(_ problem: AuditVerification) -> AuditChainReport {
        AuditChainReport(verification: problem, checkpointsGiven: checkpointsGiven, verificationKeyGiven: key != nil)
    }

    /// The report once every line was added: an unsigned end of a signed chain, and
    /// checkpoints past its end, are problems too.
    func finish() -> AuditChainReport {
        let last = previous
        if let uncovered, anchored, let last {
            return report(.broken(
                path: uncovered.path, line: uncovered.line,
                problem: "no signature covers the records from sequence \(uncovered.sequence) to the end (sequence \(last.record.sequence)), though the chain is signed before them: they were added without the key, or the rest of their group was cut off (by a crash: kmsd signs over them when it starts again)"
            ))
        }
        var before = 0
        let applicable = checkpoints.values.joined().filter { nodes.isEmpty || nodes.contains($0.checkpoint.node) }
        let beyond = applicable.filter { $0.checkpoint.sequence > (last?.record.sequence ?? 0) }
        if let latest = beyond.max(by: { $0.checkpoint.sequence < $1.checkpoint.sequence }) {
            let end = last?.record.sequence ?? 0
            return report(.broken(
                path: last?.path ?? latest.path, line: last?.line ?? latest.line,
                problem: "truncated after this record: the chain ends at sequence \(end), but checkpoint \(latest.checkpoint.sequence) (\(latest.place)) shows it reached sequence \(latest.checkpoint.sequence): records \(end + 1)–\(latest.checkpoint.sequence) and any after them were cut"
            ))
        }
        for entry in applicable where !matched.contains(entry) {
            if let firstSequence, entry.checkpoint.sequence < firstSequence {
                before += 1
            } else if let last {
                return report(.broken(
                    path: last.path, line: last.line,
                    problem: "rewritten: checkpoint \(entry.checkpoint.sequence) (\(entry.place)) names a record of node \(entry.checkpoint.node ?? "(none)") at sequence \(entry.checkpoint.sequence), but the chain's record there names another node"
                ))
            }
        }
        var report = report(.intact(records: count, head: last.map { AuditChainHead(sequence: $0.record.sequence, hash: $0.record.hash) }))
        if signatures > 0 {
            report.signatures = key.map { .verified(count: signatures, keyID: $0.keyID) } ?? .notChecked(count: signatures)
        }
        report.unsignedRuns = unsignedRuns
        report.checkpointsMatched = matched
        report.checkpointsBeforeChain = before
        return report
    }
}

/// One chain named on `kmsctl audit verify`'s command line: a node's audit directory, with
/// that node's archived files named before it, or files named one by one.
public struct AuditChainArguments: Sendable, Equatable {
    /// What the chain is reported as: its directory as given, or else its last file.
    public let name: String
    /// The paths as given, oldest first: files, then at most one directory.
    public let paths: [String]

    public init(name: String, paths: [String]) {
        self.name = name
        self.paths = paths
    }

    /// Splits paths into chains, one per node directory: each directory ends a chain whose
    /// older part is the files named since the previous directory (archived files of the
    /// same node); files named after the last directory form one more chain. Paths with no
    /// directory among them are one chain, as are files followed by one directory.
    public static func chains(in paths: [String]) -> [AuditChainArguments] {
        var chains: [AuditChainArguments] = []
        var pending: [String] = []
        for path in paths {
            pending.append(path)
            if isDirectory(path) {
                chains.append(AuditChainArguments(name: path, paths: pending))
                pending = []
            }
        }
        if let last = pending.last { chains.append(AuditChainArguments(name: last, paths: pending)) }
        return chains
    }

    /// The chain's files in chain order: a directory's `audit-*.jsonl` files in name order,
    /// other paths as given.
    ///
    /// - Throws: `AuditIOError` when a directory cannot be listed or holds no audit file.
    public func files() throws(AuditIOError) -> [String] {
        var files: [String] = []
        for path in paths {
            guard Self.isDirectory(path) else {
                files.append(path)
                continue
            }
            let found = try AuditFileSet.files(in: path)
            guard !found.isEmpty else { throw AuditIOError("no audit files (audit-*.jsonl) in '\(path)'") }
            files += found.map(\.path)
        }
        return files
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
