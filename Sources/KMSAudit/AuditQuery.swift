import Foundation

/// Which records a query returns: every given filter must match.
public struct AuditQuery: Sendable {
    public var keyID: String?
    public var principal: String?
    public var action: String?
    public var outcome: AuditRecord.Outcome?
    /// Records at or after this time.
    public var start: Date?
    /// Records before this time.
    public var end: Date?
    public var pageSize: Int
    /// Continue after the record with this sequence number (a previous page's last).
    public var afterSequence: UInt64?

    public init(
        keyID: String? = nil, principal: String? = nil, action: String? = nil, outcome: AuditRecord.Outcome? = nil,
        start: Date? = nil, end: Date? = nil, pageSize: Int = 100, afterSequence: UInt64? = nil
    ) {
        self.keyID = keyID
        self.principal = principal
        self.action = action
        self.outcome = outcome
        self.start = start
        self.end = end
        self.pageSize = pageSize
        self.afterSequence = afterSequence
    }

    /// Whether an index entry may match (hash collisions are settled by `matches(_:)`).
    func mayMatch(_ entry: AuditIndexEntry) -> Bool {
        if let keyID, entry.keyHash != FNV1a.hash(keyID) { return false }
        if let principal, entry.principalHash != FNV1a.hash(principal) { return false }
        if let action, entry.actionHash != UInt16(truncatingIfNeeded: FNV1a.hash(action)) { return false }
        if let outcome, entry.outcome != AuditIndexEntry.code(of: outcome) { return false }
        if let start, entry.timeMicros < RFC3339.microseconds(start) { return false }
        if let end, entry.timeMicros >= RFC3339.microseconds(end) { return false }
        return true
    }

    /// Whether a record matches every filter. The principal is compared byte for byte, as
    /// `Principal` is: canonically equivalent spellings are different principals.
    func matches(_ record: AuditRecord) -> Bool {
        (keyID == nil || record.keyID == keyID)
            && (principal.map { record.principal.utf8.elementsEqual($0.utf8) } ?? true)
            && (action == nil || record.action == action)
            && (outcome == nil || record.outcome == outcome)
    }
}

/// One page of a query's records, oldest first.
public struct AuditPage: Sendable {
    public let records: [ChainedAuditRecord]
    /// The sequence number to continue after, when more records match.
    public let continueAfter: UInt64?
}
