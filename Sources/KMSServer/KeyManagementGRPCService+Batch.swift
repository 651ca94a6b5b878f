import GRPCCore
import GRPCProtobuf
import KMSCore
import KMSProto
import KMSService
import SwiftProtobuf

extension KeyManagementGRPCService {
    func batchEncrypt(request: Kms_V1_BatchEncryptRequest, context: ServerContext) async throws -> Kms_V1_BatchEncryptResponse {
        let results = try await handleBatch(request.requests) { item, caller throws(KMSError) in try await encrypt(item, caller: caller) }
        return .with { $0.results = results.map { Kms_V1_BatchEncryptResult($0) } }
    }

    func batchDecrypt(request: Kms_V1_BatchDecryptRequest, context: ServerContext) async throws -> Kms_V1_BatchDecryptResponse {
        let results = try await handleBatch(request.requests) { item, caller throws(KMSError) in try await decrypt(item, caller: caller) }
        return .with { $0.results = results.map { Kms_V1_BatchDecryptResult($0) } }
    }

    func batchGenerateDataKey(
        request: Kms_V1_BatchGenerateDataKeyRequest,
        context: ServerContext
    ) async throws -> Kms_V1_BatchGenerateDataKeyResponse {
        let results = try await handleBatch(request.requests) { item, caller throws(KMSError) in try await generateDataKey(item, caller: caller) }
        return .with { $0.results = results.map { Kms_V1_BatchGenerateDataKeyResult($0) } }
    }

    /// Runs `body` for each item, each with its own audit facts (so each gets its own record,
    /// in request order) and its own outcome: one failing item does not fail the others.
    ///
    /// The items are dealt in contiguous runs to one child task per core
    /// (`BatchParallelism.width`), so that one batch call uses every core; the results come
    /// back in request order.
    ///
    /// - Throws: `LIMIT_EXCEEDED` for more than 1,000 items, `VALIDATION` for none.
    func handleBatch<Item: Sendable, Response: Sendable>(
        _ items: [Item],
        _ body: @escaping @Sendable (Item, RequestContext) async throws(KMSError) -> Response
    ) async throws -> [Result<Response, BatchItemError>] {
        try await handle { caller throws(KMSError) in
            guard items.count <= Limits.batchItems.upperBound else {
                throw KMSError(.limitExceeded, "requests has \(items.count) items; at most \(Limits.batchItems.upperBound) are allowed")
            }
            guard !items.isEmpty else { throw KMSError(.validation, "requests is empty") }
            let callers = items.map { _ in
                RequestContext(principal: caller.principal, sourceIP: caller.sourceIP, audit: caller.audit.newItem())
            }
            return await BatchParallelism.map(Array(zip(items, callers))) { pair -> Result<Response, BatchItemError> in
                let (item, itemCaller) = pair
                do throws(KMSError) {
                    return .success(try await body(item, itemCaller))
                } catch {
                    itemCaller.audit.noteError(error.code)
                    return .failure(BatchItemError(error))
                }
            }
        }
    }
}

/// A failed batch item: the `google.rpc.Status` (with its `ErrorInfo`) that the single
/// call would have failed with.
struct BatchItemError: Error, Sendable {
    let status: Google_Rpc_Status

    init(_ error: KMSError) {
        let mapped = ErrorMapping.status(for: error)
        let bytes: [UInt8] = (try? mapped.serializedBytes()) ?? []
        status = (try? Google_Rpc_Status(serializedBytes: bytes)) ?? .with {
            $0.code = Int32(mapped.code.rawValue)
            $0.message = mapped.message
        }
    }
}

/// The result messages of the batch calls: each item is a response or an error status.
protocol BatchResult: SwiftProtobuf.Message {
    associatedtype Response
    var response: Response { get set }
    var error: Google_Rpc_Status { get set }
}

extension BatchResult {
    init(_ result: Result<Response, BatchItemError>) {
        self.init()
        switch result {
        case .success(let response): self.response = response
        case .failure(let failure): error = failure.status
        }
    }
}

extension Kms_V1_BatchEncryptResult: BatchResult {}
extension Kms_V1_BatchDecryptResult: BatchResult {}
extension Kms_V1_BatchGenerateDataKeyResult: BatchResult {}
