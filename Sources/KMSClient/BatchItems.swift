import Foundation
import KMSCore
import KMSProto
import SwiftProtobuf

/// The items of the batch commands, one JSON object per input line, named as the options of
/// the single-item commands (docs/KMSCTL.md, "Batches"):
///
/// - `batch-encrypt`: `key_id` and `plaintext` (base64) required; `context`,
///   `encryption_algorithm`.
/// - `batch-decrypt`: `ciphertext` (base64) required; `context`, `key_id`,
///   `encryption_algorithm`.
/// - `batch-generate-data-key`: `key_id` required; `key_spec` or `number_of_bytes` (at most
///   one; AES_256 when neither), `context`.
///
/// `context` is an object of strings; enumerated values are named as on the command line
/// (`AES_128`, `RSAES_OAEP_SHA_256`, in any case). Any other member, a value of the wrong
/// type, base64 that does not decode, or a line that is not one JSON object refuses the
/// whole input. Limits that the server checks item by item (sizes, ranges, the context's
/// rules) are left to it, so that they fail one item, not the batch.
public enum BatchItems {
    /// The Encrypt requests of `lines`.
    ///
    /// - Throws: `BatchInputError` naming the first line that is not a valid item.
    public static func encryptRequests(_ lines: [Data]) throws(BatchInputError) -> [Kms_V1_EncryptRequest] {
        try decode(lines, as: EncryptItem.self)
    }

    /// The Decrypt requests of `lines`.
    ///
    /// - Throws: `BatchInputError` naming the first line that is not a valid item.
    public static func decryptRequests(_ lines: [Data]) throws(BatchInputError) -> [Kms_V1_DecryptRequest] {
        try decode(lines, as: DecryptItem.self)
    }

    /// The GenerateDataKey requests of `lines`.
    ///
    /// - Throws: `BatchInputError` naming the first line that is not a valid item.
    public static func generateDataKeyRequests(_ lines: [Data]) throws(BatchInputError) -> [Kms_V1_GenerateDataKeyRequest] {
        try decode(lines, as: GenerateDataKeyItem.self)
    }

    /// Checks that `request`, encoded, fits in one batch call.
    ///
    /// - Throws: `BatchInputError` giving the size and the limit.
    public static func checkSize(of request: some SwiftProtobuf.Message) throws(BatchInputError) {
        let size = ((try? request.serializedBytes()) as [UInt8]?)?.count ?? Int.max
        guard size <= Limits.maxBatchRequestBytes else {
            throw BatchInputError(
                line: nil,
                "the items make a request of \(size) bytes; a batch call takes at most \(Limits.maxBatchRequestBytes): split the input"
            )
        }
    }

    /// Decodes each line as an `Item`.
    private static func decode<Item: BatchItem>(_ lines: [Data], as _: Item.Type) throws(BatchInputError) -> [Item.Request] {
        let decoder = JSONDecoder()
        var requests: [Item.Request] = []
        requests.reserveCapacity(lines.count)
        for (index, line) in lines.enumerated() {
            do {
                requests.append(try decoder.decode(Item.self, from: line).request)
            } catch {
                throw BatchInputError(line: index + 1, Self.describe(error))
            }
        }
        return requests
    }

    /// What is wrong with an item, in words that name fields but never quote values.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let problem as ItemProblem:
            return problem.message
        case DecodingError.typeMismatch(let type, let context), DecodingError.valueNotFound(let type, let context):
            guard let field = fieldPath(context.codingPath) else { return "not a JSON object" }
            return "\(field) must be \(ItemFields.kind(of: type))"
        case DecodingError.keyNotFound(let key, _):
            return "\(key.stringValue) is missing"
        default:
            return "not valid JSON"
        }
    }

    private static func fieldPath(_ path: [any CodingKey]) -> String? {
        guard !path.isEmpty else { return nil }
        return path.map(\.stringValue).joined(separator: ".")
    }
}

/// An item of a batch command: one input line, decoded into the request it stands for.
private protocol BatchItem: Decodable {
    associatedtype Request
    var request: Request { get }
}

private struct EncryptItem: BatchItem {
    let request: Kms_V1_EncryptRequest

    init(from decoder: any Swift.Decoder) throws {
        let fields = try ItemFields(decoder, allowing: ["key_id", "plaintext", "context", "encryption_algorithm"])
        request = try .with {
            $0.keyID = try fields.requiredString("key_id")
            $0.plaintext = try fields.requiredBase64("plaintext")
            $0.encryptionContext = try fields.context()
            $0.encryptionAlgorithm = try fields.named("encryption_algorithm") ?? .unspecified
        }
    }
}

private struct DecryptItem: BatchItem {
    let request: Kms_V1_DecryptRequest

    init(from decoder: any Swift.Decoder) throws {
        let fields = try ItemFields(decoder, allowing: ["ciphertext", "context", "key_id", "encryption_algorithm"])
        request = try .with {
            $0.ciphertextBlob = try fields.requiredBase64("ciphertext")
            $0.encryptionContext = try fields.context()
            $0.keyID = try fields.string("key_id") ?? ""
            $0.encryptionAlgorithm = try fields.named("encryption_algorithm") ?? .unspecified
        }
    }
}

private struct GenerateDataKeyItem: BatchItem {
    let request: Kms_V1_GenerateDataKeyRequest

    init(from decoder: any Swift.Decoder) throws {
        let fields = try ItemFields(decoder, allowing: ["key_id", "key_spec", "number_of_bytes", "context"])
        let keySpec: Kms_V1_DataKeySpec? = try fields.named("key_spec")
        let numberOfBytes = try fields.int32("number_of_bytes")
        guard keySpec == nil || numberOfBytes == nil else {
            throw ItemProblem("give at most one of key_spec and number_of_bytes")
        }
        request = try .with {
            $0.keyID = try fields.requiredString("key_id")
            if let numberOfBytes {
                $0.numberOfBytes = numberOfBytes
            } else {
                $0.keySpec = keySpec ?? .aes256
            }
            $0.encryptionContext = try fields.context()
        }
    }
}

/// What is wrong with one item, beyond JSON types.
struct ItemProblem: Error {
    let message: String

    init(_ message: String) {
        self.message = message
    }
}

/// The members of one item's JSON object, read with the checks every item gets.
struct ItemFields {
    /// A member name.
    struct Name: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }

        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private let container: KeyedDecodingContainer<Name>

    /// The members of the object `decoder` holds, which may be only `names`.
    ///
    /// - Throws: `DecodingError` when the line is not an object; `ItemProblem` for another member.
    init(_ decoder: any Swift.Decoder, allowing names: [String]) throws {
        container = try decoder.container(keyedBy: Name.self)
        for key in container.allKeys where !names.contains(key.stringValue) {
            let shown = key.stringValue.count <= 64 ? "'\(key.stringValue)'" : "a member"
            throw ItemProblem("unknown member \(shown); an item has \(names.joined(separator: ", "))")
        }
    }

    /// A string member, `nil` when absent or null.
    func string(_ name: String) throws -> String? {
        try container.decodeIfPresent(String.self, forKey: Name(stringValue: name))
    }

    /// A string member that must be there.
    func requiredString(_ name: String) throws -> String {
        guard let value = try string(name) else { throw missing(name, kind: "a string") }
        return value
    }

    /// A base64 member that must be there, decoded.
    func requiredBase64(_ name: String) throws -> Data {
        let text = try requiredString(name)
        guard let data = Data(base64Encoded: text) else { throw ItemProblem("\(name) is not base64") }
        return data
    }

    /// `context`: an object whose values are strings; empty when absent or null.
    func context() throws -> [String: String] {
        try container.decodeIfPresent([String: String].self, forKey: Name(stringValue: "context")) ?? [:]
    }

    /// An enumerated member named as on the command line, `nil` when absent or null.
    func named<Value: ProtoNamed>(_ name: String) throws -> Value? {
        guard let text = try string(name) else { return nil }
        guard let value = Value(named: text) else {
            throw ItemProblem("\(name) must be one of \(Value.names.joined(separator: ", "))")
        }
        return value
    }

    /// An integer member that fits in 32 bits, `nil` when absent or null.
    func int32(_ name: String) throws -> Int32? {
        guard let number = try container.decodeIfPresent(Double.self, forKey: Name(stringValue: name)) else { return nil }
        guard number == number.rounded(), let value = Int32(exactly: number) else {
            throw ItemProblem("\(name) must be an integer")
        }
        return value
    }

    private func missing(_ name: String, kind: String) -> ItemProblem {
        container.contains(Name(stringValue: name)) ? ItemProblem("\(name) must be \(kind), not null") : ItemProblem("\(name) is missing")
    }

    /// How a message names the JSON type that `type` decodes from.
    static func kind(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Double.Type: "an integer"
        case is [String: String].Type: "an object of strings"
        default: "a JSON object"
        }
    }
}
