import Foundation

/// The outcome of checking audit files.
public enum AuditVerification: Sendable, Equatable {
    /// Every record is intact and in order; `head` is the last record's.
    case intact(records: Int, head: AuditChainHead?)
    /// The first problem found: the file, the 1-based line, and what is wrong.
    case broken(path: String, line: Int, problem: String)
}

/// Checks the hash chain of audit files given in chain order (`kmsctl audit verify`).
///
/// Each line's `hash` must match its content (else the record was changed); sequence
/// numbers must rise by one (else records were removed, inserted or reordered); each
/// `prev_hash` must be the previous record's hash (else the previous record was changed
/// and its hash recomputed); the first record of the chain (sequence 1) must follow the
/// all-zero hash. A chain given from the middle is checked from its first record on.
public enum AuditVerifier {
    /// Checks `paths` in the order given.
    ///
    /// - Throws: `AuditIOError` when a file cannot be read.
    public static func verify(paths: [String]) throws(AuditIOError) -> AuditVerification {
        var previous: (path: String, line: Int, record: ChainedAuditRecord)?
        var count = 0
        for path in paths {
            var reader = try AuditLineReader(path: path)
            while let line = try reader.next() {
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
                previous = (path, line.number, record)
                count += 1
            }
        }
        return .intact(records: count, head: previous.map { AuditChainHead(sequence: $0.record.sequence, hash: $0.record.hash) })
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
