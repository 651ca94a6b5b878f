import Foundation
import KMSClient
import KMSCore
import KMSProto
import Testing

/// Batch items read from JSON Lines: the requests they stand for, and hostile input refused
/// with a message that names the line and the field but never a value.
@Suite struct BatchItemsTests {
    private static func lines(_ texts: String...) -> [Data] {
        texts.map { Data($0.utf8) }
    }

    @Test func encryptItemsBecomeEncryptRequests() throws {
        let requests = try BatchItems.encryptRequests(Self.lines(
            #"{"key_id":"alias/app","plaintext":"aGVsbG8=","context":{"app":"demo","k":"a=b"}}"#,
            #"{"key_id":"k2","plaintext":"AA==","encryption_algorithm":"rsaes_oaep_sha_256","context":null}"#
        ))
        #expect(requests.count == 2)
        #expect(requests[0].keyID == "alias/app")
        #expect(requests[0].plaintext == Data("hello".utf8))
        #expect(requests[0].encryptionContext == ["app": "demo", "k": "a=b"])
        #expect(requests[0].encryptionAlgorithm == .unspecified)
        #expect(requests[1].plaintext == Data([0]))
        #expect(requests[1].encryptionContext.isEmpty)
        #expect(requests[1].encryptionAlgorithm == .rsaesOaepSha256)
    }

    @Test func decryptItemsBecomeDecryptRequests() throws {
        let requests = try BatchItems.decryptRequests(Self.lines(
            #"{"ciphertext":"AQID","context":{"app":"demo"}}"#,
            #"{"ciphertext":"AQID","key_id":"k","encryption_algorithm":"SYMMETRIC_DEFAULT"}"#
        ))
        #expect(requests[0].ciphertextBlob == Data([1, 2, 3]))
        #expect(requests[0].keyID == "")
        #expect(requests[0].encryptionContext == ["app": "demo"])
        #expect(requests[1].keyID == "k")
        #expect(requests[1].encryptionAlgorithm == .symmetricDefault)
    }

    @Test func dataKeyItemsDefaultToAES256() throws {
        let requests = try BatchItems.generateDataKeyRequests(Self.lines(
            #"{"key_id":"k"}"#,
            #"{"key_id":"k","key_spec":"AES_128"}"#,
            #"{"key_id":"k","number_of_bytes":64,"context":{"a":"b"}}"#,
            #"{"key_id":"k","number_of_bytes":1e2}"#
        ))
        #expect(requests.map(\.keySpec) == [.aes256, .aes128, .unspecified, .unspecified])
        #expect(requests.map(\.numberOfBytes) == [0, 0, 64, 100])
        #expect(requests[2].encryptionContext == ["a": "b"])
    }

    /// Limits the server checks item by item are left to it, so that they fail one item.
    @Test func serverLimitsAreLeftToTheServer() throws {
        let big = Data(count: Limits.maxPlaintextBytes + 1).base64EncodedString()
        let requests = try BatchItems.encryptRequests(Self.lines(
            #"{"key_id":"","plaintext":""}"#,
            #"{"key_id":"k","plaintext":"\#(big)","context":{"":""}}"#
        ))
        #expect(requests[0].plaintext.isEmpty)
        #expect(requests[1].plaintext.count == Limits.maxPlaintextBytes + 1)
        let dataKeys = try BatchItems.generateDataKeyRequests(Self.lines(#"{"key_id":"k","number_of_bytes":0}"#, #"{"key_id":"k","number_of_bytes":-5}"#))
        #expect(dataKeys.map(\.numberOfBytes) == [0, -5])
    }

    @Test(arguments: [
        (#"{"key_id":"k","plaintext":"aGk="#, "not valid JSON"),
        (#"{"key_id":"k","plaintext":"aGk="} trailing"#, "not valid JSON"),
        (#"{'key_id':'k'}"#, "not valid JSON"),
        ("\u{FF}\u{FE}", "not valid JSON"),
        (#"[{"key_id":"k","plaintext":"aGk="}]"#, "not a JSON object"),
        (#""text""#, "not a JSON object"),
        ("42", "not a JSON object"),
        ("null", "not a JSON object"),
        (#"{"plaintext":"aGk="}"#, "key_id is missing"),
        (#"{"key_id":"k"}"#, "plaintext is missing"),
        (#"{"key_id":null,"plaintext":"aGk="}"#, "key_id must be a string, not null"),
        (#"{"key_id":7,"plaintext":"aGk="}"#, "key_id must be a string"),
        (#"{"key_id":["k"],"plaintext":"aGk="}"#, "key_id must be a string"),
        (#"{"key_id":"k","plaintext":true}"#, "plaintext must be a string"),
        (#"{"key_id":"k","plaintext":"not base64!"}"#, "plaintext is not base64"),
        (#"{"key_id":"k","plaintext":"aGk"}"#, "plaintext is not base64"),
        (#"{"key_id":"k","plaintext":"aGk=","context":"app=demo"}"#, "context must be a JSON object"),
        (#"{"key_id":"k","plaintext":"aGk=","context":["app"]}"#, "context must be a JSON object"),
        (#"{"key_id":"k","plaintext":"aGk=","context":{"app":1}}"#, "context.app must be a string"),
        (#"{"key_id":"k","plaintext":"aGk=","context":{"app":null}}"#, "context.app must be a string"),
        (#"{"key_id":"k","plaintext":"aGk=","context":{"app":{"x":"y"}}}"#, "context.app must be a string"),
        (#"{"key_id":"k","plaintext":"aGk=","encryption_algorithm":"ROT13"}"#, "encryption_algorithm must be one of SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1"),
        (#"{"key_id":"k","plaintext":"aGk=","encryption_algorithm":"UNSPECIFIED"}"#, "encryption_algorithm must be one of SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1"),
        (#"{"key_id":"k","plaintext":"aGk=","keyId":"k"}"#, "unknown member 'keyId'; an item has key_id, plaintext, context, encryption_algorithm"),
        (#"{"key_id":"k","plaintext":"aGk=","ciphertext":"aGk="}"#, "unknown member 'ciphertext'; an item has key_id, plaintext, context, encryption_algorithm"),
    ])
    func hostileEncryptItemsAreRefusedNamingLineAndField(line: String, message: String) {
        let good = #"{"key_id":"k","plaintext":"aGk="}"#
        #expect(throws: BatchInputError(line: 2, message)) {
            try BatchItems.encryptRequests(Self.lines(good, line, good))
        }
    }

    @Test(arguments: [
        (#"{"key_id":"k","key_spec":"AES_256","number_of_bytes":32}"#, "give at most one of key_spec and number_of_bytes"),
        (#"{"key_id":"k","number_of_bytes":"32"}"#, "number_of_bytes must be an integer"),
        (#"{"key_id":"k","number_of_bytes":1.5}"#, "number_of_bytes must be an integer"),
        (#"{"key_id":"k","number_of_bytes":99999999999}"#, "number_of_bytes must be an integer"),
        (#"{"key_id":"k","number_of_bytes":true}"#, "number_of_bytes must be an integer"),
        (#"{"key_id":"k","key_spec":"AES_512"}"#, "key_spec must be one of AES_256, AES_128"),
        (#"{"key_spec":"AES_256"}"#, "key_id is missing"),
        (#"{"key_id":"k","plaintext":"aGk="}"#, "unknown member 'plaintext'; an item has key_id, key_spec, number_of_bytes, context"),
    ])
    func hostileDataKeyItemsAreRefused(line: String, message: String) {
        #expect(throws: BatchInputError(line: 1, message)) {
            try BatchItems.generateDataKeyRequests(Self.lines(line))
        }
    }

    @Test(arguments: [
        (#"{"key_id":"k"}"#, "ciphertext is missing"),
        (#"{"ciphertext":"AQID","plaintext":"aGk="}"#, "unknown member 'plaintext'; an item has ciphertext, context, key_id, encryption_algorithm"),
        (#"{"ciphertext":"***"}"#, "ciphertext is not base64"),
        (#"{"ciphertext":"AQID","key_id":5}"#, "key_id must be a string"),
    ])
    func hostileDecryptItemsAreRefused(line: String, message: String) {
        #expect(throws: BatchInputError(line: 1, message)) {
            try BatchItems.decryptRequests(Self.lines(line))
        }
    }

    /// Input lines hold plaintext: no message may quote a value, however the line is wrong.
    @Test(arguments: [
        #"{"key_id":"k","plaintext":"TOP-SECRET-VALUE"}"#,
        #"{"key_id":"k","plaintext":TOP-SECRET-VALUE}"#,
        #"{"key_id":"k","plaintext":"aGk=","TOP-SECRET-VALUE-\#(String(repeating: "x", count: 80))":1}"#,
        #"TOP-SECRET-VALUE"#,
        #"{"key_id":"k","plaintext":"aGk=","encryption_algorithm":"TOP-SECRET-VALUE"}"#,
    ])
    func messagesNeverQuoteValues(line: String) throws {
        let error = try #require(throws: BatchInputError.self) { try BatchItems.encryptRequests(Self.lines(line)) }
        #expect(!error.description.contains("TOP-SECRET"))
        #expect(!error.description.contains("SECRET"))
    }

    @Test func aRequestOverTheBatchSizeIsRefused() throws {
        let plaintext = Data(count: Limits.maxPlaintextBytes).base64EncodedString()
        let line = #"{"key_id":"k","plaintext":"\#(plaintext)"}"#
        let fits = try BatchItems.encryptRequests(Array(repeating: Data(line.utf8), count: 200))
        try BatchItems.checkSize(of: Kms_V1_BatchEncryptRequest.with { $0.requests = fits })
        let tooMany = try BatchItems.encryptRequests(Array(repeating: Data(line.utf8), count: 300))
        let error = try #require(throws: BatchInputError.self) {
            try BatchItems.checkSize(of: Kms_V1_BatchEncryptRequest.with { $0.requests = tooMany })
        }
        #expect(error.line == nil)
        #expect(error.message.hasSuffix("a batch call takes at most \(Limits.maxBatchRequestBytes): split the input"))
    }
}
