import Foundation
import KMSCore

/// Reads the fields of one AWS JSON 1.1 request body into a `kms.v1` request, checking each
/// field's JSON type. Every field read is marked; `finish()` refuses any field left over,
/// naming it, so a field this server does not support is never silently ignored. Values
/// are checked here only for their JSON type and encoding: sizes, ranges and meaning are
/// checked by the service behind the gRPC handlers, as for gRPC callers.
struct AWSRequestReader {
    private let fields: [String: AWSJSON]
    private var read: Set<String> = []
    let names: AWSResourceNames

    /// The fields of `body`, a JSON object; an empty body is an empty object.
    ///
    /// - Throws: `.validation` when the body is not a JSON object.
    init(body: Data, names: AWSResourceNames) throws(KMSError) {
        self.names = names
        guard !body.isEmpty else {
            fields = [:]
            return
        }
        guard case .object(let object)? = try? JSONDecoder().decode(AWSJSON.self, from: body) else {
            throw KMSError(.validation, "the request body is not a JSON object")
        }
        // A null field is an absent one, as the AWS SDKs treat it.
        fields = object.filter { $0.value != .null }
    }

    /// Refuses the fields no accessor read.
    ///
    /// - Throws: `.validation` naming the first such field.
    func finish() throws(KMSError) {
        if let unread = fields.keys.filter({ !read.contains($0) }).sorted().first {
            throw KMSError(.validation, "\(unread) is not supported by this server (docs/AWS_COMPAT.md)")
        }
    }

    private mutating func take(_ name: String) -> AWSJSON? {
        read.insert(name)
        return fields[name]
    }

    private func mistyped(_ name: String, _ value: AWSJSON, expected: String) -> KMSError {
        KMSError(.validation, "\(name) must be \(expected), not \(value.typeName)")
    }

    /// A string field.
    mutating func string(_ name: String) throws(KMSError) -> String? {
        guard let value = take(name) else { return nil }
        guard case .string(let text) = value else { throw mistyped(name, value, expected: "a string") }
        return text
    }

    /// A string field that must be present.
    mutating func requiredString(_ name: String) throws(KMSError) -> String {
        guard let text = try string(name) else { throw KMSError(.validation, "\(name) is required") }
        return text
    }

    /// A blob field: base64 text of at most `maxBytes` bytes. AWS checks a field's length
    /// constraint in its front door and answers ValidationException, so the endpoint does
    /// the same with the service's own limits (behind it, the service would answer
    /// `LIMIT_EXCEEDED`, AWS's name for an exceeded quota).
    mutating func blob(_ name: String, maxBytes: Int) throws(KMSError) -> Data? {
        guard let text = try string(name) else { return nil }
        guard let bytes = Data(base64Encoded: text) else { throw KMSError(.validation, "\(name) is not valid base64") }
        guard bytes.count <= maxBytes else {
            throw KMSError(.validation, "\(name) is \(bytes.count) bytes; it must have at most \(maxBytes)")
        }
        return bytes
    }

    /// A blob field that must be present.
    mutating func requiredBlob(_ name: String, maxBytes: Int) throws(KMSError) -> Data {
        guard let bytes = try blob(name, maxBytes: maxBytes) else { throw KMSError(.validation, "\(name) is required") }
        return bytes
    }

    /// A text field of at most `maxCharacters` characters (AWS's length constraint, as for
    /// blobs).
    mutating func string(_ name: String, maxCharacters: Int) throws(KMSError) -> String? {
        guard let text = try string(name) else { return nil }
        guard text.count <= maxCharacters else {
            throw KMSError(.validation, "\(name) has \(text.count) characters; it must have at most \(maxCharacters)")
        }
        return text
    }

    /// A whole-number field within `Int32`'s range (the service checks the field's own range).
    mutating func integer(_ name: String) throws(KMSError) -> Int32? {
        guard let value = take(name) else { return nil }
        guard case .integer(let number) = value else { throw mistyped(name, value, expected: "a whole number") }
        guard let narrowed = Int32(exactly: number) else { throw KMSError(.validation, "\(name) is out of range") }
        return narrowed
    }

    /// A boolean field.
    mutating func bool(_ name: String) throws(KMSError) -> Bool? {
        guard let value = take(name) else { return nil }
        guard case .bool(let flag) = value else { throw mistyped(name, value, expected: "a boolean") }
        return flag
    }

    /// An object of string values (an encryption context); absent is empty.
    mutating func stringMap(_ name: String) throws(KMSError) -> [String: String] {
        guard let value = take(name) else { return [:] }
        return try Self.stringMap(value, name: name)
    }

    /// An object of string values inside another field.
    static func stringMap(_ value: AWSJSON, name: String) throws(KMSError) -> [String: String] {
        guard case .object(let object) = value else { throw KMSError(.validation, "\(name) must be an object, not \(value.typeName)") }
        var map: [String: String] = [:]
        for (key, entry) in object {
            guard case .string(let text) = entry else { throw KMSError(.validation, "\(name).\(key) must be a string") }
            map[key] = text
        }
        return map
    }

    /// A list of strings; absent is empty.
    mutating func stringList(_ name: String) throws(KMSError) -> [String] {
        guard let value = take(name) else { return [] }
        return try objectsOrStrings(value, name: name).map { (item: AWSJSON) throws(KMSError) -> String in
            guard case .string(let text) = item else { throw KMSError(.validation, "\(name) must be a list of strings") }
            return text
        }
    }

    /// A list of objects (such as `Tags`); absent is empty.
    mutating func objectList(_ name: String) throws(KMSError) -> [[String: AWSJSON]] {
        guard let value = take(name) else { return [] }
        return try objectsOrStrings(value, name: name).map { (item: AWSJSON) throws(KMSError) -> [String: AWSJSON] in
            guard case .object(let object) = item else { throw KMSError(.validation, "\(name) must be a list of objects") }
            return object
        }
    }

    /// An object field (such as `Constraints`).
    mutating func object(_ name: String) throws(KMSError) -> [String: AWSJSON]? {
        guard let value = take(name) else { return nil }
        guard case .object(let object) = value else { throw mistyped(name, value, expected: "an object") }
        return object
    }

    private func objectsOrStrings(_ value: AWSJSON, name: String) throws(KMSError) -> [AWSJSON] {
        guard case .array(let items) = value else { throw mistyped(name, value, expected: "a list") }
        return items
    }

    /// An enum field by AWS's name of the value.
    mutating func enumeration<Value>(_ name: String, _ table: AWSNames<Value>) throws(KMSError) -> Value? {
        guard let text = try string(name) else { return nil }
        guard let value = table.value(named: text) else {
            throw KMSError(.validation, "\(name) '\(text)' is not a \(table.what) this server supports: \(table.names.joined(separator: ", "))")
        }
        return value
    }

    /// A key field: a key id, key ARN, alias name or alias ARN, as the service takes it.
    mutating func keyReference(_ name: String) throws(KMSError) -> String? {
        guard let text = try string(name) else { return nil }
        return try names.keyReference(text, field: name)
    }

    /// A key field that must be present.
    mutating func requiredKeyReference(_ name: String) throws(KMSError) -> String {
        guard let reference = try keyReference(name) else { throw KMSError(.validation, "\(name) is required") }
        return reference
    }

    /// `GrantTokens`: accepted and checked for type. AWS needs them to use a grant before
    /// it is everywhere; here a grant is in force the moment CreateGrant answers, so a
    /// token adds nothing (docs/AWS_COMPAT.md).
    mutating func grantTokens() throws(KMSError) {
        let tokens = try stringList("GrantTokens")
        guard tokens.count <= 10 else { throw KMSError(.limitExceeded, "GrantTokens has more than 10 tokens") }
    }

    /// A field this server accepts only with the value AWS treats as its default (such as
    /// `Origin: AWS_KMS`).
    mutating func onlyDefault(_ name: String, _ accepted: AWSJSON) throws(KMSError) {
        guard let value = take(name), value != accepted else { return }
        throw KMSError(.validation, "\(name) is supported by this server only with its default value")
    }
}

extension AWSRequestReader: CustomStringConvertible, CustomReflectable {
    /// The request's field names only: their values may be plaintexts.
    var description: String { "AWSRequestReader(fields: \(fields.keys.sorted()))" }

    var customMirror: Mirror { Mirror(self, children: ["fields": fields.keys.sorted()]) }
}
