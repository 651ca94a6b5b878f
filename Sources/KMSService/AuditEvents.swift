import Foundation
import KMSAudit
import KMSCore

/// The input of `listAuditEvents`: filters as the API gives them (empty = no filter).
public struct ListAuditEventsRequest: Sendable {
    public var keyID = ""
    public var principal = ""
    public var action = ""
    public var outcome = ""
    public var start: Date?
    public var end: Date?
    public var pageSize = 0
    public var pageToken = ""

    public init() {}
}

extension KeyManagementService {
    /// One page of the audit records of `log` that match the request, oldest first
    /// (`kms:ListAuditEvents`, server policy).
    ///
    /// - Returns: the records and the token of the next page (empty when no more match).
    /// - Throws: `.accessDenied`; `.validation` for a key alias instead of a key id, an
    ///   unknown action or outcome, an end before the start, a page size outside 0–1000 or
    ///   a foreign page token; `.internalFailure` when the log cannot be read.
    public func listAuditEvents(
        _ request: ListAuditEventsRequest,
        in log: AuditLog,
        context: RequestContext
    ) throws(KMSError) -> (records: [ChainedAuditRecord], nextPageToken: String) {
        try authorize(.listAuditEvents, on: nil, context: context)
        var query = AuditQuery(pageSize: try PageToken.pageSize(request.pageSize))
        if !request.keyID.isEmpty { query.keyID = try Self.parseKeyID(request.keyID, field: "key_id").description }
        if !request.principal.isEmpty { query.principal = request.principal }
        if !request.action.isEmpty {
            // Records name the RPC (kms:ReEncrypt, kms:GetCallerIdentity), not only policy actions.
            guard request.action.hasPrefix("kms:"), request.action.count > 4, request.action.count <= 64,
                  request.action.dropFirst(4).allSatisfy({ $0.isASCII && $0.isLetter })
            else {
                throw KMSError(.validation, "action must be kms: and an operation name, such as kms:Decrypt")
            }
            query.action = request.action
        }
        if !request.outcome.isEmpty {
            guard let outcome = AuditRecord.Outcome(rawValue: request.outcome) else {
                throw KMSError(.validation, "outcome must be allowed, denied, failed or intent")
            }
            query.outcome = outcome
        }
        if let start = request.start, let end = request.end, end < start {
            throw KMSError(.validation, "end_time is before start_time")
        }
        query.start = request.start
        query.end = request.end
        query.afterSequence = try PageToken.decode(request.pageToken) { UInt64($0) }
        let page: AuditPage
        do {
            page = try log.query(query)
        } catch {
            logger.error("audit query failed", metadata: ["error": "\(error)"])
            throw KMSError(.internalFailure, "the audit log could not be read; see the server log")
        }
        return (page.records, page.continueAfter.map { PageToken.encode(String($0)) } ?? "")
    }
}
