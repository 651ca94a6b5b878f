import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCReflectionProto
import KMSAudit
import KMSClient
import KMSProto
import SwiftProtobuf
import Testing

@testable import KMSServer

/// gRPC server reflection (v1 and v1alpha) over mutual TLS: what it answers, who may ask
/// (`kms:Reflect` in the server policy) and the limits on one stream.
@Suite struct ReflectionTests {
    typealias Request = Grpc_Reflection_V1_ServerReflectionRequest
    typealias Response = Grpc_Reflection_V1_ServerReflectionResponse

    static let servedServices = [
        "kms.v1.KeyManagementService", "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection",
    ]
    static let kmsFiles: Set<String> = [
        "kms/v1/kms.proto", "google/protobuf/timestamp.proto", "google/rpc/status.proto", "google/protobuf/any.proto",
    ]

    @Test(arguments: ReflectionVersion.allCases)
    func adminListsTheServicesTheServerRegisters(version: ReflectionVersion) async throws {
        try await withWorld { world in
            let stream = try await reflect(world, as: world.admin, version: version, [.with { $0.listServices = "*" }])
            #expect(stream.error == nil)
            let services = try #require(stream.responses.first?.listServicesResponse.service.map(\.name))
            #expect(services == Self.servedServices)
            #expect(stream.responses.first?.originalRequest.listServices == "*")
        }
    }

    @Test(arguments: ReflectionVersion.allCases)
    func theServiceSymbolServesKMSProtoFirstWithItsImports(version: ReflectionVersion) async throws {
        try await withWorld { world in
            let stream = try await reflect(world, as: world.admin, version: version, [
                .with { $0.fileContainingSymbol = "kms.v1.KeyManagementService" },
            ])
            let files = try Self.files(in: try #require(stream.responses.first))
            #expect(files.first?.name == "kms/v1/kms.proto")
            #expect(Set(files.map(\.name)) == Self.kmsFiles)
            #expect(files.count == Self.kmsFiles.count, "each file once")
            let service = try #require(files.first?.service.first { $0.name == "KeyManagementService" })
            let encrypt = try #require(service.method.first { $0.name == "Encrypt" })
            #expect(encrypt.inputType == ".kms.v1.EncryptRequest")
            #expect(encrypt.outputType == ".kms.v1.EncryptResponse")
        }
    }

    @Test func everyKindOfSymbolAndFileNameIsFoundWithOrWithoutALeadingDot() async throws {
        let questions: [(String, String)] = [
            ("kms.v1.KeyManagementService.Encrypt", "kms/v1/kms.proto"),
            (".kms.v1.EncryptRequest", "kms/v1/kms.proto"),
            ("kms.v1.EncryptRequest.key_id", "kms/v1/kms.proto"),
            ("kms.v1.KeyState", "kms/v1/kms.proto"),
            ("kms.v1.KEY_STATE_ENABLED", "kms/v1/kms.proto"),
            ("google.protobuf.Timestamp", "google/protobuf/timestamp.proto"),
            ("grpc.health.v1.Health.Check", "grpc/health/v1/health.proto"),
            ("grpc.health.v1.HealthCheckResponse.ServingStatus", "grpc/health/v1/health.proto"),
            ("grpc.reflection.v1.ServerReflection", "grpc/reflection/v1/reflection.proto"),
            ("grpc.reflection.v1alpha.ServerReflectionRequest.message_request", "grpc_reflection/v1alpha/reflection.proto"),
        ]
        try await withWorld { world in
            var requests: [Request] = questions.map { symbol, _ in .with { $0.fileContainingSymbol = symbol } }
            requests.append(.with { $0.fileByFilename = "grpc/health/v1/health.proto" })
            let stream = try await reflect(world, as: world.admin, requests)
            #expect(stream.responses.count == requests.count)
            for (response, (symbol, file)) in zip(stream.responses, questions) {
                #expect(try Self.files(in: response).first?.name == file, "\(symbol)")
            }
            #expect(try Self.files(in: stream.responses.last!).map(\.name) == ["grpc/health/v1/health.proto"])
        }
    }

    @Test func unknownNamesAndExtensionsAreNotFoundAndTheStreamGoesOn() async throws {
        try await withWorld { world in
            let stream = try await reflect(world, as: world.admin, [
                .with { $0.fileContainingSymbol = "kms.v1.NoSuchMessage" },
                .with { $0.fileByFilename = "kms/v1/nothing.proto" },
                .with { $0.fileContainingExtension = .with { $0.containingType = "kms.v1.EncryptRequest"; $0.extensionNumber = 100 } },
                .with { $0.allExtensionNumbersOfType = "kms.v1.NoSuchMessage" },
                .with { $0.allExtensionNumbersOfType = ".kms.v1.EncryptRequest" },
                Request(),
                .with { $0.listServices = "" },
            ])
            #expect(stream.error == nil)
            let codes = stream.responses.map { $0.errorResponse.errorCode }
            let notFound = Int32(RPCError.Code.notFound.rawValue)
            #expect(Array(codes.prefix(4)) == [notFound, notFound, notFound, notFound])
            #expect(stream.responses[0].errorResponse.errorMessage == #"no symbol named "kms.v1.NoSuchMessage""#)
            // A known message without extensions has none, as in gRPC's own servers.
            #expect(stream.responses[4].allExtensionNumbersResponse.baseTypeName == "kms.v1.EncryptRequest")
            #expect(stream.responses[4].allExtensionNumbersResponse.extensionNumber.isEmpty)
            #expect(codes[5] == Int32(RPCError.Code.invalidArgument.rawValue))
            #expect(stream.responses[6].listServicesResponse.service.count == Self.servedServices.count)
        }
    }

    @Test(arguments: ReflectionVersion.allCases)
    func theAppPrincipalIsRefusedAndTheRefusalIsAudited(version: ReflectionVersion) async throws {
        try await withWorld { world in
            let stream = try await reflect(world, as: world.app, version: version, [.with { $0.listServices = "" }])
            #expect(stream.responses.isEmpty)
            let error = try #require(stream.error)
            #expect(RPCFailure(error) == RPCFailure(code: .permissionDenied, reason: "ACCESS_DENIED"))
            #expect(error.message.contains("kms:Reflect"))
            let record = try world.onlyAuditRecord(requestID: stream.requestID)
            #expect(record.outcome == .denied)
            #expect(record.principal == TestPKI.appID)
            #expect(record.action == "kms:ServerReflectionInfo")
            #expect(record.reason == "ACCESS_DENIED")
        }
    }

    @Test func anAllowedStreamIsAuditedToo() async throws {
        try await withWorld { world in
            let stream = try await reflect(world, as: world.admin, [.with { $0.listServices = "" }])
            let record = try world.onlyAuditRecord(requestID: stream.requestID)
            #expect(record.outcome == .allowed)
            #expect(record.principal == TestPKI.adminID)
            #expect(record.action == "kms:ServerReflectionInfo")
            let verification = try world.verifyAudit()
            guard case .intact = verification else {
                Issue.record("the audit chain does not verify: \(verification)")
                return
            }
        }
    }

    @Test func aNameOverTheLimitIsRefusedAndTheStreamGoesOn() async throws {
        let limit = ReflectionIndex.maxNameBytes
        try await withWorld { world in
            let stream = try await reflect(world, as: world.admin, [
                .with { $0.fileContainingSymbol = String(repeating: "a", count: limit + 1) },
                .with { $0.fileByFilename = String(repeating: "é", count: limit / 2 + 1) },
                .with { $0.fileContainingSymbol = String(repeating: "a", count: limit) },
                .with { $0.listServices = "" },
            ])
            #expect(stream.error == nil)
            let exhausted = Int32(RPCError.Code.resourceExhausted.rawValue)
            #expect(stream.responses.map(\.errorResponse.errorCode) == [exhausted, exhausted, Int32(RPCError.Code.notFound.rawValue), 0])
            #expect(stream.responses[0].errorResponse.errorMessage == "the symbol is \(limit + 1) bytes long; at most \(limit) are allowed")
        }
    }

    @Test func aStreamEndsAfterItsLastAllowedRequest() async throws {
        let limit = ServerReflectionService.maxRequestsPerStream
        try await withWorld { world in
            let requests = [Request](repeating: .with { $0.listServices = "" }, count: limit + 1)
            let stream = try await reflect(world, as: world.admin, requests)
            #expect(stream.responses.count == limit)
            let error = try #require(stream.error)
            #expect(RPCFailure(error) == RPCFailure(code: .resourceExhausted, reason: "LIMIT_EXCEEDED"))
        }
    }

    @Test func anOversizeRequestMessageIsRefused() async throws {
        try await withWorld { world in
            let stream = try await reflect(world, as: world.admin, [.with { $0.host = String(repeating: "h", count: 70 * 1024) }])
            #expect(stream.responses.isEmpty)
            #expect(stream.error.map(RPCFailure.init) == RPCFailure(code: .resourceExhausted, reason: "LIMIT_EXCEEDED"))
        }
    }

    /// The descriptor files of a `file_descriptor_response`, parsed.
    static func files(in response: Response) throws -> [Google_Protobuf_FileDescriptorProto] {
        guard case .fileDescriptorResponse(let files)? = response.messageResponse else {
            Issue.record("expected files, got \(response.messageResponse.map { "\($0)" } ?? "nothing")")
            return []
        }
        return try files.fileDescriptorProto.map { try Google_Protobuf_FileDescriptorProto(serializedBytes: $0) }
    }
}

/// The descriptors `tools/generate-proto.sh` embedded, without a server.
@Suite struct ReflectionDescriptorTests {
    @Test func theEmbeddedSetHoldsTheServedFilesAndEveryListedServiceResolves() throws {
        let index = ReflectionIndex.served
        #expect(index.fileNames == [
            "google/protobuf/any.proto", "google/protobuf/timestamp.proto", "google/rpc/status.proto",
            "grpc/health/v1/health.proto", "grpc/reflection/v1/reflection.proto",
            "grpc_reflection/v1alpha/reflection.proto", "kms/v1/kms.proto",
        ])
        for service in ReflectionTests.servedServices {
            #expect(index.declares(symbol: service), "\(service)")
        }
    }

    @Test func theEmbeddedKMSProtoHasTheMethodsTheServerRegisters() throws {
        let kms = try #require(Self.embeddedFiles().first { $0.name == "kms/v1/kms.proto" })
        let methods = try #require(kms.service.first { $0.name == "KeyManagementService" }).method.map(\.name)
        #expect(methods == Kms_V1_KeyManagementService.Method.descriptors.map(\.method), "run tools/generate-proto.sh")
    }

    /// What lets one handler over the v1 types answer v1alpha too.
    @Test func v1AndV1alphaMessagesAreTheSameOnTheWire() throws {
        let files = try Self.embeddedFiles()
        let v1 = try #require(files.first { $0.package == "grpc.reflection.v1" })
        let v1alpha = try #require(files.first { $0.package == "grpc.reflection.v1alpha" })
        func shape(_ file: Google_Protobuf_FileDescriptorProto) -> [String] {
            let messages = file.messageType.flatMap { message in
                ["message \(message.name) oneofs \(message.oneofDecl.map(\.name))"] + message.field.map { field in
                    let type = field.typeName.replacingOccurrences(of: ".\(file.package).", with: ".")
                    let oneof = field.hasOneofIndex ? "\(field.oneofIndex)" : "-"
                    return "  \(field.name) = \(field.number) \(field.type) \(field.label) \(type) oneof \(oneof)"
                }
            }
            let methods = file.service.flatMap { service in
                service.method.map { "rpc \(service.name).\($0.name) \($0.clientStreaming) \($0.serverStreaming)" }
            }
            return messages + methods
        }
        #expect(!shape(v1).isEmpty)
        #expect(shape(v1) == shape(v1alpha))
    }

    static func embeddedFiles() throws -> [Google_Protobuf_FileDescriptorProto] {
        try Google_Protobuf_FileDescriptorSet(serializedBytes: ServedFileDescriptors.fileDescriptorSet).file
    }
}

/// The two versions of the reflection service.
enum ReflectionVersion: String, CaseIterable, Sendable {
    case v1, v1alpha
}

/// What one reflection stream returned: its `x-request-id`, the responses in order and the
/// error it ended with, if any.
struct ReflectionStream<Response: Sendable>: Sendable {
    var requestID: String?
    var responses: [Response] = []
    var error: RPCError?
}

/// Sends `requests` on one ServerReflectionInfo stream of `version` as `credentials`, ends
/// the stream and collects what came back. v1alpha requests and responses are converted
/// from and to the v1 types by their bytes.
func reflect(
    _ world: TestWorld,
    as credentials: ClientCredentials,
    version: ReflectionVersion = .v1,
    _ requests: [Grpc_Reflection_V1_ServerReflectionRequest]
) async throws -> ReflectionStream<Grpc_Reflection_V1_ServerReflectionResponse> {
    try await withGRPCClient(transport: KMSConnection.transport(target: world.server.target, credentials: credentials)) { client in
        switch version {
        case .v1:
            let reflection = Grpc_Reflection_V1_ServerReflection.Client(wrapping: client)
            return try await collect { handle in
                try await reflection.serverReflectionInfo(requestProducer: { try await $0.write(contentsOf: requests) }, onResponse: handle)
            }
        case .v1alpha:
            let reflection = Grpc_Reflection_V1alpha_ServerReflection.Client(wrapping: client)
            let alphaRequests = try requests.map { try Grpc_Reflection_V1alpha_ServerReflectionRequest(serializedBytes: try $0.serializedBytes() as [UInt8]) }
            let stream = try await collect { handle in
                try await reflection.serverReflectionInfo(requestProducer: { try await $0.write(contentsOf: alphaRequests) }, onResponse: handle)
            }
            return ReflectionStream(
                requestID: stream.requestID,
                responses: try stream.responses.map { try Grpc_Reflection_V1_ServerReflectionResponse(serializedBytes: try $0.serializedBytes() as [UInt8]) },
                error: stream.error
            )
        }
    }
}

private func collect<Response: Sendable>(
    _ call: (@Sendable @escaping (StreamingClientResponse<Response>) async throws -> ReflectionStream<Response>) async throws -> ReflectionStream<Response>
) async throws -> ReflectionStream<Response> {
    do {
        return try await call { response in
            var stream = ReflectionStream<Response>()
            switch response.accepted {
            case .failure(let error):
                stream.requestID = error.metadata[stringValues: "x-request-id"].first { _ in true }
                stream.error = error
            case .success(let contents):
                stream.requestID = contents.metadata[stringValues: "x-request-id"].first { _ in true }
                do {
                    for try await message in response.messages { stream.responses.append(message) }
                } catch let error as RPCError {
                    stream.error = error
                }
            }
            return stream
        }
    } catch let error as RPCError {
        return ReflectionStream(requestID: error.metadata[stringValues: "x-request-id"].first { _ in true }, error: error)
    }
}
