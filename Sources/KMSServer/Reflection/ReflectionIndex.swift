import Foundation
import GRPCCore
import GRPCReflectionProto
import SwiftProtobuf

/// The files the reflection service serves, indexed by file name and by every
/// fully-qualified name they declare, and the answers to reflection requests.
///
/// Built once from a serialized `FileDescriptorSet` that holds every file's imports
/// (`protoc --include_imports`); answering does no I/O.
struct ReflectionIndex: Sendable {
    /// The longest file name or symbol a request may name, in UTF-8 bytes.
    static let maxNameBytes = 1024

    /// The descriptors `tools/generate-proto.sh` embedded in `GRPCReflectionProto`.
    static let served: ReflectionIndex = {
        do {
            return try ReflectionIndex(fileDescriptorSet: ServedFileDescriptors.fileDescriptorSet)
        } catch {
            preconditionFailure("the embedded FileDescriptorSet does not parse (\(error)): run tools/generate-proto.sh")
        }
    }()

    private struct File: Sendable {
        let serialized: Data
        let dependencies: [String]
    }

    /// Every file, by name.
    private var files: [String: File] = [:]
    /// The file declaring each message, enum, enum value, field, oneof, extension, service
    /// and method, by its full name without a leading dot.
    private var fileOfSymbol: [String: String] = [:]
    /// The full names of the messages.
    private var messages: Set<String> = []
    /// For each extended message, the file declaring each extension number.
    private var extensions: [String: [Int32: String]] = [:]

    /// Indexes the files of a serialized `google.protobuf.FileDescriptorSet`.
    ///
    /// - Throws: SwiftProtobuf's decoding error when the bytes are not a FileDescriptorSet.
    init(fileDescriptorSet bytes: [UInt8]) throws {
        let set = try Google_Protobuf_FileDescriptorSet(serializedBytes: bytes)
        for file in set.file where files[file.name] == nil {
            files[file.name] = File(serialized: try file.serializedBytes(), dependencies: file.dependency)
            index(file)
        }
    }

    /// The names of every file, sorted.
    var fileNames: [String] { files.keys.sorted() }

    /// Whether `name` (without a leading dot) is a symbol the served files declare.
    func declares(symbol name: String) -> Bool {
        fileOfSymbol[name] != nil
    }

    /// The answer to one request on a ServerReflectionInfo stream. `services` are the names
    /// `list_services` returns.
    func answer(_ request: Grpc_Reflection_V1_ServerReflectionRequest, services: [String]) -> Grpc_Reflection_V1_ServerReflectionResponse {
        var response = Grpc_Reflection_V1_ServerReflectionResponse()
        response.validHost = request.host
        response.originalRequest = request
        response.messageResponse = answer(request.messageRequest, services: services)
        return response
    }

    private func answer(
        _ question: Grpc_Reflection_V1_ServerReflectionRequest.OneOf_MessageRequest?,
        services: [String]
    ) -> Grpc_Reflection_V1_ServerReflectionResponse.OneOf_MessageResponse {
        switch question {
        case .listServices:
            return .listServicesResponse(.with { $0.service = services.map { name in .with { $0.name = name } } })
        case .fileByFilename(let name):
            if let tooLong = Self.tooLong(name, "file name") { return tooLong }
            return filesResponse(startingAt: files[name] == nil ? nil : name, missing: "no file named \(quoted(name))")
        case .fileContainingSymbol(let symbol):
            if let tooLong = Self.tooLong(symbol, "symbol") { return tooLong }
            let name = Self.withoutLeadingDot(symbol)
            return filesResponse(startingAt: fileOfSymbol[name], missing: "no symbol named \(quoted(symbol))")
        case .fileContainingExtension(let request):
            if let tooLong = Self.tooLong(request.containingType, "containing type") { return tooLong }
            let type = Self.withoutLeadingDot(request.containingType)
            return filesResponse(
                startingAt: extensions[type]?[request.extensionNumber],
                missing: "no extension \(request.extensionNumber) of \(quoted(request.containingType))"
            )
        case .allExtensionNumbersOfType(let type):
            if let tooLong = Self.tooLong(type, "type") { return tooLong }
            let name = Self.withoutLeadingDot(type)
            guard messages.contains(name) else {
                return Self.error(.notFound, "no message type named \(quoted(type))")
            }
            // A known message without extensions has an empty list, as in gRPC's own servers.
            return .allExtensionNumbersResponse(.with {
                $0.baseTypeName = name
                $0.extensionNumber = (extensions[name] ?? [:]).keys.sorted()
            })
        case nil:
            return Self.error(.invalidArgument, "the request asks nothing: set one of the message_request fields")
        }
    }

    /// The file named `name` followed by every file it imports, directly or not, each once;
    /// NOT_FOUND with `missing` when `name` is nil.
    private func filesResponse(startingAt name: String?, missing: String) -> Grpc_Reflection_V1_ServerReflectionResponse.OneOf_MessageResponse {
        guard let name else { return Self.error(.notFound, missing) }
        var order = [name]
        var seen: Set<String> = [name]
        var next = 0
        while next < order.count {
            for dependency in files[order[next]]?.dependencies ?? [] where files[dependency] != nil && seen.insert(dependency).inserted {
                order.append(dependency)
            }
            next += 1
        }
        return .fileDescriptorResponse(.with { $0.fileDescriptorProto = order.compactMap { files[$0]?.serialized } })
    }

    private static func tooLong(_ name: String, _ what: String) -> Grpc_Reflection_V1_ServerReflectionResponse.OneOf_MessageResponse? {
        let count = name.utf8.count
        guard count > maxNameBytes else { return nil }
        return error(.resourceExhausted, "the \(what) is \(count) bytes long; at most \(maxNameBytes) are allowed")
    }

    private static func error(_ code: RPCError.Code, _ message: String) -> Grpc_Reflection_V1_ServerReflectionResponse.OneOf_MessageResponse {
        .errorResponse(.with {
            $0.errorCode = Int32(code.rawValue)
            $0.errorMessage = message
        })
    }

    private static func withoutLeadingDot(_ name: String) -> String {
        name.hasPrefix(".") ? String(name.dropFirst()) : name
    }

    // MARK: - Indexing

    private mutating func index(_ file: Google_Protobuf_FileDescriptorProto) {
        let scope = file.package
        for message in file.messageType { index(message, in: scope, file: file.name) }
        for enumeration in file.enumType { index(enumeration, in: scope, file: file.name) }
        for field in file.extension { index(extension: field, in: scope, file: file.name) }
        for service in file.service {
            let serviceName = Self.join(scope, service.name)
            declare(serviceName, in: file.name)
            for method in service.method { declare(Self.join(serviceName, method.name), in: file.name) }
        }
    }

    private mutating func index(_ message: Google_Protobuf_DescriptorProto, in scope: String, file: String) {
        let name = Self.join(scope, message.name)
        declare(name, in: file)
        messages.insert(name)
        for field in message.field { declare(Self.join(name, field.name), in: file) }
        for oneof in message.oneofDecl { declare(Self.join(name, oneof.name), in: file) }
        for nested in message.nestedType { index(nested, in: name, file: file) }
        for enumeration in message.enumType { index(enumeration, in: name, file: file) }
        for field in message.extension { index(extension: field, in: name, file: file) }
    }

    private mutating func index(_ enumeration: Google_Protobuf_EnumDescriptorProto, in scope: String, file: String) {
        declare(Self.join(scope, enumeration.name), in: file)
        // Enum values are siblings of their enum in protobuf's scoping.
        for value in enumeration.value { declare(Self.join(scope, value.name), in: file) }
    }

    private mutating func index(extension field: Google_Protobuf_FieldDescriptorProto, in scope: String, file: String) {
        declare(Self.join(scope, field.name), in: file)
        extensions[Self.withoutLeadingDot(field.extendee), default: [:]][field.number] = file
    }

    /// Records the file that declares `name` (the first, should two files declare it).
    private mutating func declare(_ name: String, in file: String) {
        if fileOfSymbol[name] == nil { fileOfSymbol[name] = file }
    }

    private static func join(_ scope: String, _ name: String) -> String {
        scope.isEmpty ? name : scope + "." + name
    }
}

/// `text` in double quotes, cut after 80 characters, for error messages.
private func quoted(_ text: String) -> String {
    text.count > 80 ? "\"\(text.prefix(80))…\"" : "\"\(text)\""
}
