import Foundation

/// One request as the audit trail records it: who asked for what on which key, and how
/// it ended. Never holds plaintext, ciphertext, key material or encryption context values
/// (unless the operator turned `audit.log_context_values` on).
public struct AuditRecord: Sendable, Equatable {
    /// How a request ended.
    public enum Outcome: String, Sendable, CaseIterable {
        /// Authorized and completed.
        case allowed
        /// Refused by policy (`ACCESS_DENIED`).
        case denied
        /// Ended with any other error.
        case failed
        /// A change passed its checks and is about to be committed; written durably before
        /// the commit. A record with the same request id and another outcome says how it
        /// ended; an intent with no such record means the server stopped in between, and the
        /// change may or may not have been committed.
        case intent
    }

    /// Why a checkpoint record was written (docs/AUDIT.md, "Checkpoints").
    public enum Checkpoint: String, Sendable, CaseIterable {
        /// Every `audit.checkpoint_seconds` while records are being added.
        case periodic
        /// At start, because the log ended with records no signature covered (written before
        /// signing was on, or the rest of their group was cut off by a crash): this
        /// checkpoint's signature covers them.
        case start
        /// At a graceful shutdown, with `audit.checkpoint_file` set.
        case shutdown
    }

    /// The principal of checkpoint records.
    public static let checkpointPrincipal = "kmsd:job/checkpoint"
    /// The action of checkpoint records.
    public static let checkpointAction = "kmsd:Checkpoint"

    /// When the request arrived, to the microsecond.
    public var time: Date
    /// The id returned to the caller in the `x-request-id` response metadata.
    public var requestID: String
    /// The item's position in a batch call's request; `nil` for other calls.
    public var batchIndex: Int?
    /// The node id of the `kmsd` that wrote the record (`cluster.node_id`, by default the
    /// host name); `nil` in records written before records named their node.
    public var node: String?
    /// The caller. For a call a trusted proxy forwarded, the client the proxy names.
    public var principal: String
    /// The trusted proxy (mesh sidecar, nginx) that forwarded the call on the caller's
    /// behalf (`x-forwarded-client-cert`); `nil` for a direct call.
    public var proxy: String?
    /// The caller's IP address (a forwarded call's: the proxy's).
    public var source: String?
    /// The action as policies name it (`kms:Encrypt`).
    public var action: String
    public var keyID: String?
    public var keyVersion: UInt32?
    /// The alias the request named the key by.
    public var alias: String?
    /// ReEncrypt's destination key and version.
    public var destinationKeyID: String?
    public var destinationKeyVersion: UInt32?
    public var outcome: Outcome
    /// The `ErrorInfo` reason of a denied or failed request.
    public var reason: String?
    /// The encryption context's keys, sorted.
    public var encryptionContextKeys: [String]
    /// HMAC-SHA256 (hex) of the canonical encryption context.
    public var encryptionContextHMAC: String?
    /// The encryption context in the clear; only with `audit.log_context_values`.
    public var encryptionContext: [String: String]?
    /// The grant that allowed the request.
    public var grantID: String?
    /// Set only in the checkpoint records `kmsd` writes itself (principal
    /// `kmsd:job/checkpoint`, action `kmsd:Checkpoint`): why it was written.
    public var checkpoint: Checkpoint?
    /// For a call refused `THROTTLED` (or a summary of such calls): how many throttled calls
    /// of the principal since its last recorded one were only counted, not recorded.
    public var throttledSinceLastRecord: Int?

    public init(
        time: Date,
        requestID: String,
        batchIndex: Int? = nil,
        node: String? = nil,
        principal: String,
        proxy: String? = nil,
        source: String? = nil,
        action: String,
        keyID: String? = nil,
        keyVersion: UInt32? = nil,
        alias: String? = nil,
        destinationKeyID: String? = nil,
        destinationKeyVersion: UInt32? = nil,
        outcome: Outcome,
        reason: String? = nil,
        encryptionContextKeys: [String] = [],
        encryptionContextHMAC: String? = nil,
        encryptionContext: [String: String]? = nil,
        grantID: String? = nil,
        throttledSinceLastRecord: Int? = nil,
        checkpoint: Checkpoint? = nil
    ) {
        self.time = time
        self.requestID = requestID
        self.batchIndex = batchIndex
        self.node = node
        self.principal = principal
        self.proxy = proxy
        self.source = source
        self.action = action
        self.keyID = keyID
        self.keyVersion = keyVersion
        self.alias = alias
        self.destinationKeyID = destinationKeyID
        self.destinationKeyVersion = destinationKeyVersion
        self.outcome = outcome
        self.reason = reason
        self.encryptionContextKeys = encryptionContextKeys
        self.encryptionContextHMAC = encryptionContextHMAC
        self.encryptionContext = encryptionContext
        self.grantID = grantID
        self.throttledSinceLastRecord = throttledSinceLastRecord
        self.checkpoint = checkpoint
    }

    /// A checkpoint record of `node`, made at `time`.
    static func checkpoint(_ reason: Checkpoint, node: String?, time: Date) -> AuditRecord {
        AuditRecord(
            time: time, requestID: UUID().uuidString.lowercased(), node: node, principal: checkpointPrincipal,
            action: checkpointAction, outcome: .allowed, checkpoint: reason
        )
    }
}

/// A record as it sits in the chain: its sequence number and the hashes that link it.
public struct ChainedAuditRecord: Sendable, Equatable {
    /// The record's position in the chain, from 1.
    public let sequence: UInt64
    public let record: AuditRecord
    /// SHA-256 (hex) of the previous record's line; 64 zeros for the first record.
    public let previousHash: String
    /// SHA-256 (hex) of this record's line without its `hash` field.
    public let hash: String
    /// The base64 Ed25519 signature the line carries (`sig`), if any: the last record of each
    /// group and every checkpoint record are signed.
    public var signature: String? = nil
}
