import KMSAudit
import Metrics

/// `kms_batch_items_total{method, outcome}`: the items of batch calls by outcome (allowed,
/// denied, failed), counted from the call's audit records, one per item.
enum BatchItemMetrics {
    /// Counts the item records among `records` of a call of `action` (`kms:BatchEncrypt`).
    static func count(_ records: [AuditRecord], of action: String) {
        let method = action.hasPrefix("kms:") ? String(action.dropFirst(4)) : action
        for record in records where record.batchIndex != nil {
            Counter(label: "kms_batch_items_total", dimensions: [("method", method), ("outcome", record.outcome.rawValue)]).increment()
        }
    }
}
