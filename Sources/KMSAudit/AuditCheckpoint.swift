import Crypto
import Foundation
import Logging

/// A signed statement that the audit chain of `node` had reached `sequence`, whose record
/// has `hash`: one line of a checkpoint file (`audit.checkpoint_file`, docs/AUDIT.md,
/// "Checkpoints").
///
/// The line is `{"node":…,"seq":…,"hash":…,"time":…,"checkpoint":…,"sig":…}` (`node` left
/// out when the log names no node). `sig` signs the line without its `sig` member
/// (`AuditSignature.Kind.checkpoint`). A log whose last sequence is before a checkpoint's,
/// or whose record at that sequence has another hash, was cut or rewritten.
public struct AuditCheckpoint: Sendable, Equatable {
    /// The node whose chain this is; `nil` for a log that names no node.
    public let node: String?
    /// The sequence number of the checkpoint record in the log.
    public let sequence: UInt64
    /// That record's hash.
    public let hash: String
    /// When the checkpoint was made (the checkpoint record's `time`).
    public let time: Date
    /// Why it was made.
    public let reason: AuditRecord.Checkpoint
    /// The base64 Ed25519 signature; `nil` only in a line that lost it.
    public let signature: String?

    /// `,"sig":"` + 88 base64 digits + `"}`: the end of a signed checkpoint line.
    private static let signatureSuffixLength = 8 + AuditSignature.base64Length + 2

    /// The checkpoint of a checkpoint record just written at `head`, signed by `signer`.
    static func signed(_ record: AuditRecord, at head: AuditChainHead, by signer: AuditSigner) -> (AuditCheckpoint, line: [UInt8]) {
        let reason = record.checkpoint ?? .periodic
        var out: [UInt8] = [UInt8(ascii: "{")]
        if let node = record.node {
            JSONText.appendKey("node", first: true, to: &out)
            JSONText.appendString(node, to: &out)
        }
        JSONText.appendKey("seq", first: record.node == nil, to: &out)
        JSONText.appendInteger(head.sequence, to: &out)
        JSONText.appendKey("hash", to: &out)
        JSONText.appendString(head.hash, to: &out)
        JSONText.appendKey("time", to: &out)
        JSONText.appendString(RFC3339.format(record.time), to: &out)
        JSONText.appendKey("checkpoint", to: &out)
        JSONText.appendString(reason.rawValue, to: &out)
        out.append(UInt8(ascii: "}"))
        let signature = signer.sign(.checkpoint, digestHex: AuditLine.hexSHA256(out))
        out.removeLast()
        JSONText.appendKey("sig", to: &out)
        JSONText.appendString(signature, to: &out)
        out.append(UInt8(ascii: "}"))
        let checkpoint = AuditCheckpoint(
            node: record.node, sequence: head.sequence, hash: head.hash, time: record.time, reason: reason, signature: signature
        )
        return (checkpoint, out)
    }

    /// Reads one checkpoint line (without its newline).
    ///
    /// - Returns: the checkpoint, and the digest its signature covers (`nil` when the line
    ///   does not end with a `sig` member).
    /// - Throws: `AuditLineError` when the line is not a checkpoint.
    public static func parse(_ line: some Collection<UInt8>) throws(AuditLineError) -> (AuditCheckpoint, digest: String?) {
        let bytes = Array(line)
        let fields: CheckpointFields
        do {
            fields = try JSONDecoder().decode(CheckpointFields.self, from: Data(bytes))
        } catch {
            throw AuditLineError("not a JSON checkpoint")
        }
        guard let time = RFC3339.parse(fields.time) else { throw AuditLineError("time is not an RFC 3339 UTC timestamp") }
        guard let reason = AuditRecord.Checkpoint(rawValue: fields.checkpoint) else { throw AuditLineError("unknown checkpoint reason") }
        guard fields.hash.utf8.count == 64, fields.hash.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }) else {
            throw AuditLineError("hash is not 64 lower-case hex digits")
        }
        var digest: String?
        let cut = bytes.count - signatureSuffixLength
        if fields.sig != nil, cut > 0, bytes[cut..<(cut + 8)].elementsEqual(#","sig":""#.utf8), bytes.suffix(2) == [UInt8(ascii: "\""), UInt8(ascii: "}")] {
            digest = AuditLine.hexSHA256(Array(bytes[..<cut]) + [UInt8(ascii: "}")])
        }
        let checkpoint = AuditCheckpoint(
            node: fields.node, sequence: fields.seq, hash: fields.hash, time: time, reason: reason, signature: fields.sig
        )
        return (checkpoint, digest)
    }
}

private struct CheckpointFields: Decodable {
    let node: String?
    let seq: UInt64
    let hash: String
    let time: String
    let checkpoint: String
    let sig: String?
}

/// A checkpoint as read from a file, with where it was.
public struct AuditCheckpointEntry: Sendable, Equatable {
    public let checkpoint: AuditCheckpoint
    public let path: String
    /// The 1-based line of the file.
    public let line: Int

    public init(checkpoint: AuditCheckpoint, path: String, line: Int) {
        self.checkpoint = checkpoint
        self.path = path
        self.line = line
    }

    /// `FILE:LINE` and the checkpoint's time, for messages.
    var place: String { "\(path):\(line), \(RFC3339.format(checkpoint.time))" }
}

/// A checkpoint file that cannot be used: where, and what is wrong.
public struct AuditCheckpointFileError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Reads checkpoint files (`kmsctl audit verify --checkpoint`).
public enum AuditCheckpointFile {
    /// The checkpoints of `path`, in file order. A last line without a newline (a write cut
    /// off by a crash) is left out.
    ///
    /// - Parameter verificationKey: When given, every checkpoint must carry a signature
    ///   this key verifies.
    /// - Throws: `AuditCheckpointFileError` naming the file and line of the first line that
    ///   is not a checkpoint or whose signature does not verify, or when the file cannot be read.
    public static func read(path: String, verificationKey: AuditVerificationKey?) throws(AuditCheckpointFileError) -> [AuditCheckpointEntry] {
        var reader: AuditLineReader
        do {
            reader = try AuditLineReader(path: path)
        } catch {
            throw AuditCheckpointFileError("cannot read the checkpoint file: \(error)")
        }
        var entries: [AuditCheckpointEntry] = []
        while true {
            let next: AuditLineReader.Line?
            do {
                next = try reader.next()
            } catch {
                throw AuditCheckpointFileError("cannot read the checkpoint file: \(error)")
            }
            guard let line = next, line.terminated else { break }
            let place = "\(path):\(line.number)"
            let checkpoint: AuditCheckpoint
            let digest: String?
            do {
                (checkpoint, digest) = try AuditCheckpoint.parse(line.bytes)
            } catch {
                throw AuditCheckpointFileError("\(place): not a checkpoint (\(error))")
            }
            if let verificationKey {
                guard let signature = checkpoint.signature, let digest else {
                    throw AuditCheckpointFileError("\(place): the checkpoint is not signed")
                }
                guard verificationKey.isValidSignature(signature, .checkpoint, digestHex: digest) else {
                    throw AuditCheckpointFileError(
                        "\(place): the checkpoint's signature does not verify with the verification key (key id \(verificationKey.keyID)): it was changed, or signed with another key"
                    )
                }
            }
            entries.append(AuditCheckpointEntry(checkpoint: checkpoint, path: path, line: line.number))
        }
        return entries
    }
}

/// Makes checkpoint records, signs their checkpoints, and hands them to the second sink
/// (`audit.checkpoint_file`) and the server log.
struct AuditCheckpointPublisher: Sendable {
    let signer: AuditSigner
    let node: String?
    let file: AuditCheckpointFile.Sink?
    let logger: Logger

    /// A new checkpoint record, made now.
    func record(_ reason: AuditRecord.Checkpoint) -> AuditRecord {
        AuditRecord.checkpoint(reason, node: node, time: Date())
    }

    /// Signs the checkpoint of `record`, written at `head`, appends it to the file and logs
    /// it. A file that cannot be written is logged as an error: the checkpoint record is
    /// in the log already.
    func publish(_ record: AuditRecord, at head: AuditChainHead) -> AuditCheckpoint {
        let (checkpoint, line) = AuditCheckpoint.signed(record, at: head, by: signer)
        if let file {
            do {
                try file.append(line)
            } catch {
                logger.error("the audit checkpoint could not be written to audit.checkpoint_file", metadata: [
                    "file": "\(file.path)", "error": "\(error)", "seq": "\(head.sequence)",
                ])
            }
        }
        logger.info("audit checkpoint", metadata: [
            "checkpoint": "\(String(decoding: line, as: UTF8.self))",
        ])
        return checkpoint
    }

    /// `publish` on the sink's own thread, so a slow or hanging volume holds no task thread.
    func publishAsync(_ record: AuditRecord, at head: AuditChainHead) async -> AuditCheckpoint {
        await withCheckedContinuation { continuation in
            AuditCheckpointFile.Sink.queue.async { continuation.resume(returning: publish(record, at: head)) }
        }
    }
}

extension AuditCheckpointFile {
    /// Appends checkpoint lines to a file, each synced before the next.
    struct Sink: Sendable {
        /// Where file writes run: one at a time, off the task threads.
        static let queue = DispatchQueue(label: "audit-checkpoint-file")

        let path: String

        /// Checks that `path` can be opened for appending, creating it (mode 0600) when missing.
        ///
        /// - Throws: `AuditIOError` when it cannot.
        init(path: String) throws(AuditIOError) {
            self.path = path
            let existed = FileManager.default.fileExists(atPath: path)
            do {
                _ = try POSIXFile(path: path, flags: O_WRONLY | O_APPEND | O_CREAT)
                let directory = (path as NSString).deletingLastPathComponent
                if !existed { try POSIXFile.syncDirectory(directory.isEmpty ? "." : directory) }
            } catch {
                throw AuditIOError("the checkpoint file (audit.checkpoint_file) cannot be opened for appending: \(error)")
            }
        }

        /// Appends `line` and a newline with one write, and syncs it. The file is opened for
        /// each line, so a file moved away (rotated) is created again.
        func append(_ line: [UInt8]) throws(AuditIOError) {
            let file = try POSIXFile(path: path, flags: O_WRONLY | O_APPEND | O_CREAT)
            try file.writeAll(line + [UInt8(ascii: "\n")])
            try file.syncData()
        }
    }
}
