import Foundation
import GRPCCore
import KMSAudit
import KMSCore

/// Turns what one call left in its `AuditFacts` into audit records: one for an ordinary
/// call, one per item for a batch call (`kms:BatchEncrypt` items are `kms:Encrypt`
/// records sharing the call's request id, each with its `batch_index`), and the intent
/// record a change leaves before it is committed. Every record names the node whose log it
/// goes to (`AuditLogOptions.node`).
struct AuditRecordBuilder: Sendable {
    let log: AuditLog
    let requestID: String
    let time: Date
    /// `kms:` and the RPC's method name.
    let action: String
    let principal: String
    /// The trusted proxy that forwarded the call, if one did.
    var proxy: String? = nil
    let source: String?

    /// The records of a call that ended with `failure` (`nil` when it succeeded).
    func records(for facts: AuditFacts, failure: RPCError?) -> [AuditRecord] {
        let items = facts.items
        guard failure == nil, !items.isEmpty, action.hasPrefix("kms:Batch") else {
            return [record(facts.values, failure: failure.map { facts.values.error?.reason ?? ErrorMapping.reason(of: $0) }, batchIndex: nil)]
        }
        let itemAction = "kms:" + action.dropFirst("kms:Batch".count)
        return items.enumerated().map { index, item in
            let values = item.values
            return record(values, failure: values.error?.reason, batchIndex: index, action: itemAction)
        }
    }

    /// The record written before a change is committed, from the facts gathered so far.
    func intentRecord(_ values: AuditFacts.Values) -> AuditRecord {
        record(values, outcome: .intent, reason: nil, batchIndex: nil)
    }

    /// Facts whose intent records go to the log before their change is committed.
    func factsRecordingIntent() -> AuditFacts {
        AuditFacts { [self] values in try await log.append(contentsOf: [intentRecord(values)]) }
    }

    private func record(_ values: AuditFacts.Values, failure reason: String?, batchIndex: Int?, action: String? = nil) -> AuditRecord {
        let outcome: AuditRecord.Outcome = reason == nil ? .allowed : (reason == KMSError.Code.accessDenied.reason ? .denied : .failed)
        return record(values, outcome: outcome, reason: reason, batchIndex: batchIndex, action: action)
    }

    private func record(
        _ values: AuditFacts.Values, outcome: AuditRecord.Outcome, reason: String?, batchIndex: Int?, action: String? = nil
    ) -> AuditRecord {
        let context = log.describe(values.encryptionContext)
        return AuditRecord(
            time: time,
            requestID: requestID,
            batchIndex: batchIndex,
            node: log.options.node,
            principal: principal,
            proxy: proxy,
            source: source,
            action: action ?? self.action,
            keyID: values.keyID?.description,
            keyVersion: values.keyVersion,
            alias: values.alias,
            destinationKeyID: values.destinationKeyID?.description,
            destinationKeyVersion: values.destinationKeyVersion,
            outcome: outcome,
            reason: reason,
            encryptionContextKeys: context.keys,
            encryptionContextHMAC: context.hmac,
            encryptionContext: context.values,
            grantID: values.grantID
        )
    }
}
