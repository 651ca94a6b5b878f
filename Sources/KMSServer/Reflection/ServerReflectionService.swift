import GRPCCore
import GRPCProtobuf
import GRPCReflectionProto
import KMSCore
import KMSService

/// gRPC server reflection, `grpc.reflection.v1.ServerReflection` and
/// `grpc.reflection.v1alpha.ServerReflection`, so that tools such as `grpcurl list` and
/// `grpcurl describe` work without a copy of the protos.
///
/// Answers from the descriptors `tools/generate-proto.sh` embedded (`ReflectionIndex.served`):
/// `kms/v1/kms.proto` and its imports, the health service and the reflection protos.
/// A stream is a KMS call like any other: `CallerIdentityInterceptor` and `AuditInterceptor`
/// run for it, the server policy must allow the caller `kms:Reflect` (else PERMISSION_DENIED
/// / `ACCESS_DENIED` before any answer), and it leaves one audit record, action
/// `kms:ServerReflectionInfo`, when it opens.
///
/// Limits: request messages of at most `Limits.maxRequestBytes`, names of at most
/// `ReflectionIndex.maxNameBytes` (a longer one gets an `error_response` with
/// RESOURCE_EXHAUSTED and the stream goes on), and at most `maxRequestsPerStream` requests
/// per stream (the next one ends the stream with RESOURCE_EXHAUSTED / `LIMIT_EXCEEDED`).
/// The stream ends when the client ends it.
struct ServerReflectionService: RegistrableRPCService {
    typealias Request = Grpc_Reflection_V1_ServerReflectionRequest
    typealias Response = Grpc_Reflection_V1_ServerReflectionResponse

    /// The two reflection services this registers.
    static let descriptors = [Grpc_Reflection_V1_ServerReflection.descriptor, Grpc_Reflection_V1alpha_ServerReflection.descriptor]
    /// The most requests one stream may make.
    static let maxRequestsPerStream = 1000

    let service: KeyManagementService
    /// What `list_services` answers: the services the server registers, these two included.
    let services: [String]
    let index: ReflectionIndex

    /// Reflection over the server's services, `listing` and the two reflection services.
    init(service: KeyManagementService, listing: [ServiceDescriptor], index: ReflectionIndex = .served) {
        self.service = service
        self.services = (listing + Self.descriptors).map(\.fullyQualifiedService)
        self.index = index
    }

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        // v1 is v1alpha under a new package name: the messages are the same on the wire
        // (proto/grpc/reflection/README.md), so one handler over the v1 types answers both.
        let methods = [
            Grpc_Reflection_V1_ServerReflection.Method.ServerReflectionInfo.descriptor,
            Grpc_Reflection_V1alpha_ServerReflection.Method.ServerReflectionInfo.descriptor,
        ]
        for method in methods {
            router.registerHandler(
                forMethod: method,
                deserializer: SizeLimitedDeserializer<Request>(limit: Limits.maxRequestBytes),
                serializer: ProtobufSerializer<Response>(),
                handler: serverReflectionInfo
            )
        }
    }

    /// ServerReflectionInfo: one response per request, in order, until the client ends the
    /// stream.
    ///
    /// Failures: PERMISSION_DENIED (`ACCESS_DENIED`) when the server policy does not allow
    /// `kms:Reflect`; RESOURCE_EXHAUSTED (`LIMIT_EXCEEDED`) for a request message over
    /// `Limits.maxRequestBytes` or more than `maxRequestsPerStream` requests. Unknown names
    /// are not failures: they get an `error_response` with NOT_FOUND.
    @Sendable
    func serverReflectionInfo(request: StreamingServerRequest<Request>, context: ServerContext) async throws -> StreamingServerResponse<Response> {
        let caller = try CurrentCall.requestContext()
        do {
            try service.authorizeServerAction(.reflect, context: caller)
        } catch {
            caller.audit.noteError(error.code)
            throw ErrorMapping.status(for: error)
        }
        return StreamingServerResponse { [index, services] writer in
            var answered = 0
            for try await question in request.messages {
                guard answered < Self.maxRequestsPerStream else {
                    throw RPCError(ErrorMapping.status(for: KMSError(
                        .limitExceeded, "a reflection stream may make at most \(Self.maxRequestsPerStream) requests; open a new stream"
                    )))
                }
                answered += 1
                try await writer.write(index.answer(question, services: services))
            }
            return [:]
        }
    }
}
