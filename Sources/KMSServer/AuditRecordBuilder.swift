import Foundation
import GRPCCore
import KMSAudit
import KMSCore

/// Turns what one call left in its `AuditFacts` into audit records: one for an ordinary
/// call, one per item for a batch call (`kms:BatchEncrypt` items are `kms:Encrypt`
/// records sharing the call's request id, each with its `batch_index`).
struct AuditRecordBuilder {
    let log: AuditLog
    let requestID: String
    let time: Date
    /// `kms:` and the RPC's method name.
    let action: String
    let principal: String
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

    private func record(_ values: AuditFacts.Values, failure reason: String?, batchIndex: Int?, action: String? = nil) -> AuditRecord {
        let context = log.describe(values.encryptionContext)
        return AuditRecord(
            time: time,
            requestID: requestID,
            batchIndex: batchIndex,
            principal: principal,
            source: source,
            action: action ?? self.action,
            keyID: values.keyID?.description,
            keyVersion: values.keyVersion,
            alias: values.alias,
            destinationKeyID: values.destinationKeyID?.description,
            destinationKeyVersion: values.destinationKeyVersion,
            outcome: reason == nil ? .allowed : (reason == KMSError.Code.accessDenied.reason ? .denied : .failed),
            reason: reason,
            encryptionContextKeys: context.keys,
            encryptionContextHMAC: context.hmac,
            encryptionContext: context.values,
            grantID: values.grantID
        )
    }
}
