import Foundation
import GRPCCore
import KMSAudit
import KMSClient
import KMSProto
import Testing

/// Reading a test server's audit trail.
extension TestWorld {
    var auditDirectory: URL { dataDirectory.appendingPathComponent("audit") }

    /// Every record in the audit files, in chain order.
    func auditRecords() throws -> [ChainedAuditRecord] {
        try AuditFileSet.files(in: auditDirectory.path).flatMap { file in
            try String(contentsOfFile: file.path, encoding: .utf8)
                .split(separator: "\n")
                .map { try AuditLine.decode(Array($0.utf8)) }
        }
    }

    /// The records of one request id.
    func auditRecords(requestID: String) throws -> [AuditRecord] {
        try auditRecords().map(\.record).filter { $0.requestID == requestID }
    }

    /// The one outcome record of a request id (a call that changed something also has an
    /// intent record, written before the change was committed).
    func onlyAuditRecord(requestID: String?) throws -> AuditRecord {
        let id = try #require(requestID, "the response carries x-request-id")
        let records = try auditRecords(requestID: id).filter { $0.outcome != .intent }
        try #require(records.count == 1, "exactly one outcome record for request \(id)")
        return records[0]
    }

    /// Checks the whole chain.
    func verifyAudit() throws -> AuditVerification {
        try AuditVerifier.verify(paths: AuditFileSet.files(in: auditDirectory.path).map(\.path))
    }
}

/// The `x-request-id` a call returned, with its result or its error.
struct Traced<Value: Sendable>: Sendable {
    let requestID: String?
    let result: Result<Value, RPCError>
}

/// Runs a call through `invoke`, keeping the response's `x-request-id` (initial metadata
/// on success, trailing metadata on failure).
func traced<Message: Sendable>(
    _: Message.Type,
    _ invoke: (@Sendable @escaping (ClientResponse<Message>) async throws -> Traced<Message>) async throws -> Traced<Message>
) async -> Traced<Message> {
    do {
        return try await invoke { response in
            switch response.accepted {
            case .success(let contents):
                return Traced(requestID: requestID(in: contents.metadata), result: contents.message)
            case .failure(let error):
                return Traced(requestID: requestID(in: error.metadata), result: .failure(error))
            }
        }
    } catch let error as RPCError {
        return Traced(requestID: requestID(in: error.metadata), result: .failure(error))
    } catch {
        return Traced(requestID: nil, result: .failure(RPCError(code: .unknown, message: "\(error)")))
    }
}

private func requestID(in metadata: Metadata) -> String? {
    metadata[stringValues: "x-request-id"].first { _ in true }
}
