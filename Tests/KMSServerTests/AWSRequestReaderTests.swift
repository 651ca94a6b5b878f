import Foundation
import KMSCore
@testable import KMSServer
import Testing

/// The AWS endpoint's reading of request bodies and key fields, with hostile input: every
/// bad body is a `KMSError` with a message, never a crash, and nothing unread passes.
@Suite struct AWSRequestReaderTests {
    static let names = AWSResourceNames(ServerConfiguration.AWSCompat(listen: HostPort(host: "127.0.0.1", port: 0)))

    static func reader(_ json: String) throws(KMSError) -> AWSRequestReader {
        try AWSRequestReader(body: Data(json.utf8), names: names)
    }

    @Test(arguments: [
        "[1]", "\"text\"", "42", "null", "{", "{\"a\":}", "\u{FF}\u{FE}", "{} {}",
        String(repeating: "[", count: 60_000) + String(repeating: "]", count: 60_000),
        "{\"a\":" + String(repeating: "{\"a\":", count: 30_000) + "1" + String(repeating: "}", count: 30_001),
    ])
    func aBodyThatIsNotOneJSONObjectIsAValidationError(body: String) {
        let error = #expect(throws: KMSError.self) { try Self.reader(body) }
        #expect(error?.code == .validation)
    }

    @Test func anEmptyBodyIsAnEmptyRequest() throws {
        var reader = try Self.reader("")
        #expect(try reader.string("KeyId") == nil)
        try reader.finish()
    }

    @Test func aFieldNoAccessorReadIsRefusedByName() throws {
        var reader = try Self.reader(#"{"KeyId": "k", "DryRun": true}"#)
        _ = try reader.string("KeyId")
        let error = #expect(throws: KMSError.self) { try reader.finish() }
        #expect(error?.code == .validation)
        #expect(error?.message.contains("DryRun") == true)
    }

    @Test func aNullFieldIsAnAbsentOne() throws {
        var reader = try Self.reader(#"{"KeyId": null}"#)
        #expect(try reader.string("KeyId") == nil)
        try reader.finish()
    }

    @Test(arguments: [
        (#"{"KeyId": 1}"#, "KeyId must be a string"),
        (#"{"NumberOfBytes": "32"}"#, "NumberOfBytes must be a whole number"),
        (#"{"NumberOfBytes": 1.5}"#, "NumberOfBytes must be a whole number"),
        (#"{"NumberOfBytes": true}"#, "NumberOfBytes must be a whole number"),
        (#"{"NumberOfBytes": 99999999999}"#, "NumberOfBytes is out of range"),
        (#"{"Plaintext": "not base64!"}"#, "Plaintext is not valid base64"),
        (#"{"EncryptionContext": {"a": 1}}"#, "EncryptionContext.a must be a string"),
        (#"{"EncryptionContext": ["a"]}"#, "EncryptionContext must be an object"),
        (#"{"GrantTokens": "t"}"#, "GrantTokens must be a list"),
        (#"{"GrantTokens": [1]}"#, "GrantTokens must be a list of strings"),
        (#"{"EncryptionAlgorithm": "ROT13"}"#, "is not a encryption algorithm this server supports"),
    ])
    func aFieldOfTheWrongTypeIsRefusedByName(body: String, message: String) throws {
        var reader = try Self.reader(body)
        let error = #expect(throws: KMSError.self) {
            _ = try reader.string("KeyId")
            _ = try reader.integer("NumberOfBytes")
            _ = try reader.blob("Plaintext", maxBytes: 4096)
            _ = try reader.stringMap("EncryptionContext")
            try reader.grantTokens()
            _ = try reader.enumeration("EncryptionAlgorithm", .encryptionAlgorithms)
        }
        #expect(error?.code == .validation)
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
    }

    @Test func aFieldOverItsLengthConstraintIsAValidationErrorAsAWSAnswers() throws {
        let over = Data(count: 4097).base64EncodedString()
        var reader = try Self.reader("{\"Plaintext\": \"\(over)\", \"Description\": \"\(String(repeating: "d", count: 8193))\"}")
        let blob = #expect(throws: KMSError.self) { try reader.blob("Plaintext", maxBytes: 4096) }
        #expect(blob?.code == .validation)
        #expect(blob?.message.contains("4097") == true)
        let text = #expect(throws: KMSError.self) { try reader.string("Description", maxCharacters: 8192) }
        #expect(text?.code == .validation)
    }

    @Test func neitherARequestNorAResponsePrintsItsValues() throws {
        let secret = Data("the plaintext".utf8).base64EncodedString()
        let reader = try Self.reader("{\"Plaintext\": \"\(secret)\"}")
        let response = AWSJSON.object(["Plaintext": .string(secret)])
        for printed in ["\(reader)", String(reflecting: reader), "\(response)", String(reflecting: response)] {
            #expect(!printed.contains(secret), "\(printed)")
        }
        var dumped = ""
        dump(reader, to: &dumped)
        dump(response, to: &dumped)
        #expect(!dumped.contains(secret), "\(dumped)")
    }

    @Test func moreThanTenGrantTokensIsOverTheLimit() throws {
        let tokens = (0..<11).map { "\"t\($0)\"" }.joined(separator: ",")
        var reader = try Self.reader("{\"GrantTokens\": [\(tokens)]}")
        let error = #expect(throws: KMSError.self) { try reader.grantTokens() }
        #expect(error?.code == .limitExceeded)
    }

    @Test func tagsAreReadAsPairsAndADuplicateKeyIsRefused() throws {
        var reader = try Self.reader(#"{"Tags": [{"TagKey": "a", "TagValue": "1"}, {"TagKey": "b", "TagValue": ""}]}"#)
        #expect(try AWSTags.read(&reader) == ["a": "1", "b": ""])
        for body in [
            #"{"Tags": [{"TagKey": "a", "TagValue": "1"}, {"TagKey": "a", "TagValue": "2"}]}"#,
            #"{"Tags": [{"TagKey": "a"}]}"#,
            #"{"Tags": [{"TagKey": "a", "TagValue": "1", "Extra": "x"}]}"#,
            #"{"Tags": ["a"]}"#,
        ] {
            var reader = try Self.reader(body)
            #expect(throws: KMSError.self, "\(body)") { try AWSTags.read(&reader) }
        }
    }

    @Test func keyFieldsTakeIdsAliasesAndTheirARNs() throws {
        let id = "1234abcd-12ab-34cd-56ef-1234567890ab"
        let names = Self.names
        #expect(try names.keyReference(id, field: "KeyId") == id)
        #expect(try names.keyReference("alias/app", field: "KeyId") == "alias/app")
        #expect(try names.keyReference(names.keyARN(id), field: "KeyId") == id)
        #expect(try names.keyReference(names.aliasARN("alias/app"), field: "KeyId") == "alias/app")
        #expect(names.keyARN(id) == "arn:aws:kms:local:000000000000:key/\(id)")
    }

    @Test(arguments: [
        ("arn:aws:kms:eu-west-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab", KMSError.Code.keyNotFound),
        ("arn:aws:kms:local:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab", .keyNotFound),
        ("arn:aws:s3:::bucket", .validation),
        ("arn:aws:kms:local:000000000000:key/", .validation),
        ("arn:aws:kms:local:000000000000:secret/x", .validation),
        ("arn:", .validation),
        ("arn:other:kms:local:000000000000:key/x", .validation),
    ])
    func anARNOfAnotherServerOrNoKeyIsRefused(arn: String, code: KMSError.Code) {
        let error = #expect(throws: KMSError.self) { try Self.names.keyReference(arn, field: "KeyId") }
        #expect(error?.code == code)
    }

    @Test func everyReasonHasAnAWSException() {
        for code in KMSError.Code.all {
            let exception = AWSErrorMapping.exception(forReason: code.reason, operation: "Encrypt")
            #expect(exception.type != "KMSInternalException" || code == .internalFailure, "\(code.reason)")
        }
    }
}
