import Foundation
import GRPCCore
import GRPCInProcessTransport
import GRPCProtobuf
import KMSCore
import SwiftProtobuf

/// One operation of AWS KMS's API, carried out by one `kms.v1` RPC: its request fields are
/// read into the RPC's request, the RPC runs through the in-process gRPC server (the same
/// handlers, interceptors, quotas and audit as a gRPC caller's call), and the RPC's response
/// is written as AWS's response. Nothing an operation does is implemented here.
struct AWSOperation: Sendable {
    /// AWS's name of the operation (`Encrypt`), the suffix of `X-Amz-Target`.
    let name: String
    /// Reads the request (or takes the error that made its body unreadable), calls the RPC
    /// and writes the response.
    let perform: @Sendable (_ body: Result<AWSRequestReader, KMSError>, _ call: AWSCall) async -> AWSOperationResult

    /// An operation carried out by the RPC `method`.
    ///
    /// - Parameters:
    ///   - request: Reads the AWS request into the RPC's request. A field it cannot read
    ///     (or does not read) fails the call with its error, recorded like any other.
    ///   - response: Writes the RPC's response as AWS's; it may turn a response into the
    ///     error AWS answers instead (Verify of a signature that does not verify).
    ///   - exceptionName: AWS's exception for a failure whose name depends on the request
    ///     (RetireGrant names a bad token and a bad grant id differently); `nil` keeps the
    ///     name `AWSErrorMapping` gives the failure's reason.
    static func rpc<Input: SwiftProtobuf.Message & Sendable, Output: SwiftProtobuf.Message & Sendable>(
        _ name: String,
        _ method: MethodDescriptor,
        request: @escaping @Sendable (inout AWSRequestReader) throws(KMSError) -> Input,
        response: @escaping @Sendable (_ response: Output, _ request: Input, _ names: AWSResourceNames) throws(AWSAnswerRefusal) -> [String: AWSJSON],
        exceptionName: (@Sendable (_ reason: String?, _ request: Input) -> String?)? = nil
    ) -> AWSOperation {
        AWSOperation(name: name) { body, call in
            var input = Input()
            var refusal: KMSError?
            switch body {
            case .success(var reader):
                do throws(KMSError) {
                    input = try request(&reader)
                    try reader.finish()
                } catch {
                    refusal = error
                }
            case .failure(let error):
                refusal = error
            }
            switch await call.unary(method, input, refusal: refusal, returning: Output.self) {
            case .failure(var failure):
                failure.exceptionName = exceptionName?(failure.reason, input)
                return .failure(failure)
            case .success(let (output, requestID)):
                do throws(AWSAnswerRefusal) {
                    return .success(.object(try response(output, input, call.names)), requestID: requestID)
                } catch {
                    return .failure(AWSCallFailure(reason: error.reason, grpcCode: nil, message: error.message, requestID: requestID))
                }
            }
        }
    }
}

/// A response the endpoint answers with an error, as AWS does where the RPC answers
/// normally (a signature or MAC that does not verify).
struct AWSAnswerRefusal: Error, Sendable {
    /// The reason `AWSErrorMapping` names the exception by.
    let reason: String
    let message: String
}

/// What an operation answers.
enum AWSOperationResult: Sendable {
    /// The response body and the request id of its audit record.
    case success(AWSJSON, requestID: String?)
    case failure(AWSCallFailure)
}

/// A failed call: the `ErrorInfo` reason (or, for the transport's own refusals, the gRPC
/// status code), the message, and the request id of its audit record.
struct AWSCallFailure: Error, Sendable {
    let reason: String?
    let grpcCode: RPCError.Code?
    let message: String
    let requestID: String?
    /// The exception AWS names this failure in the operation, when the operation decides.
    var exceptionName: String?

    init(reason: String?, grpcCode: RPCError.Code?, message: String, requestID: String?) {
        self.reason = reason
        self.grpcCode = grpcCode
        self.message = message
        self.requestID = requestID
    }

    /// The failure a gRPC error describes.
    init(_ error: RPCError) {
        let status = (try? error.unpackGoogleRPCStatus()) ?? nil
        self.init(
            reason: status?.details.compactMap(\.errorInfo).first?.reason,
            grpcCode: error.code,
            message: error.message,
            requestID: error.metadata[stringValues: AuditInterceptor.requestIDKey].first(where: { _ in true })
        )
    }
}

/// The in-process call of one AWS request: the gRPC client of the in-process server and the
/// metadata that tells that server's interceptors which TLS connection the request came
/// on (its caller) and what a trusted proxy forwarded.
struct AWSCall: Sendable {
    let client: GRPCClient<InProcessCallTransport>
    let metadata: Metadata
    let names: AWSResourceNames

    /// Calls `method` with `input`, or, when the endpoint refused the request, with the
    /// refusal for the in-process server to fail the call with after it is recorded.
    func unary<Input: SwiftProtobuf.Message & Sendable, Output: SwiftProtobuf.Message & Sendable>(
        _ method: MethodDescriptor, _ input: Input, refusal: KMSError?, returning: Output.Type
    ) async -> Result<(Output, String?), AWSCallFailure> {
        var metadata = self.metadata
        if let refusal {
            metadata.addString(refusal.code.reason, forKey: AWSRequestRefusalInterceptor.reasonKey)
            metadata.addString(refusal.message, forKey: AWSRequestRefusalInterceptor.messageKey)
        }
        do {
            let reply = try await client.unary(
                request: ClientRequest(message: input, metadata: metadata),
                descriptor: method,
                serializer: ProtobufSerializer<Input>(),
                deserializer: ProtobufDeserializer<Output>(),
                options: .defaults
            ) { response in
                (try response.message, response.metadata[stringValues: AuditInterceptor.requestIDKey].first(where: { _ in true }))
            }
            return .success(reply)
        } catch let error as RPCError {
            return .failure(AWSCallFailure(error))
        } catch {
            return .failure(AWSCallFailure(reason: nil, grpcCode: .unknown, message: "the server failed; see the server log", requestID: nil))
        }
    }
}

/// The client side of the in-process transport between the AWS endpoint and its gRPC server.
typealias InProcessCallTransport = InProcessTransport.Client
