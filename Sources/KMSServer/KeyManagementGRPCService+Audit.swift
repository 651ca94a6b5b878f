import Foundation
import GRPCCore
import KMSAudit
import KMSCore
import KMSProto
import KMSService
import SwiftProtobuf

extension KeyManagementGRPCService {
    func listAuditEvents(request: Kms_V1_ListAuditEventsRequest, context: ServerContext) async throws -> Kms_V1_ListAuditEventsResponse {
        try await handle { caller throws(KMSError) in
            var query = ListAuditEventsRequest()
            query.keyID = request.keyID
            query.principal = request.principal
            query.action = request.action
            query.outcome = request.outcome
            query.start = request.hasStartTime ? request.startTime.date : nil
            query.end = request.hasEndTime ? request.endTime.date : nil
            query.pageSize = Int(request.pageSize)
            query.pageToken = request.pageToken
            let page = try service.listAuditEvents(query, in: auditLog, context: caller)
            return .with {
                $0.events = page.records.map(Kms_V1_AuditEvent.init)
                $0.nextPageToken = page.nextPageToken
            }
        }
    }
}

extension Kms_V1_AuditEvent {
    /// The API form of a chained record.
    init(_ chained: ChainedAuditRecord) {
        let record = chained.record
        self = .with {
            $0.sequence = chained.sequence
            $0.time = Google_Protobuf_Timestamp(exactMicroseconds: record.time)
            $0.requestID = record.requestID
            $0.principal = record.principal
            $0.node = record.node ?? ""
            $0.proxy = record.proxy ?? ""
            $0.source = record.source ?? ""
            $0.action = record.action
            $0.keyID = record.keyID ?? ""
            $0.keyVersion = record.keyVersion ?? 0
            $0.alias = record.alias ?? ""
            $0.destinationKeyID = record.destinationKeyID ?? ""
            $0.destinationKeyVersion = record.destinationKeyVersion ?? 0
            $0.outcome = record.outcome.rawValue
            $0.reason = record.reason ?? ""
            $0.encryptionContextKeys = record.encryptionContextKeys
            $0.encryptionContextHmac = record.encryptionContextHMAC ?? ""
            $0.encryptionContext = record.encryptionContext ?? [:]
            $0.grantID = record.grantID ?? ""
            $0.previousHash = chained.previousHash
            $0.hash = chained.hash
            if let index = record.batchIndex { $0.batchIndex = Int32(index) }
        }
    }
}

extension Google_Protobuf_Timestamp {
    /// The timestamp of a record's time, to the microsecond the log keeps (a `Date`'s
    /// binary fraction would otherwise show as …989 nanoseconds).
    init(exactMicroseconds date: Date) {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let (seconds, remainder) = micros.quotientAndRemainder(dividingBy: 1_000_000)
        self.init(seconds: remainder < 0 ? seconds - 1 : seconds, nanos: Int32(remainder < 0 ? remainder + 1_000_000 : remainder) * 1_000)
    }
}
