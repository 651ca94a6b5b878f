import Foundation
import GRPCCore
import GRPCProtobuf
import KMSClient
import KMSProto
import Testing

/// The output line of each batch result: its response in base64, or its error object.
@Suite struct BatchResultsTests {
    @Test func successLinesCarryBytesInBase64() {
        let encrypt = Kms_V1_BatchEncryptResult.with {
            $0.response = .with { $0.ciphertextBlob = Data([1, 2, 3]); $0.keyID = "k"; $0.keyVersion = 2; $0.encryptionAlgorithm = .symmetricDefault }
        }
        #expect(encrypt.outputLine(requestID: "r") == #"{"ciphertext":"AQID","key_id":"k","key_version":2,"encryption_algorithm":"SYMMETRIC_DEFAULT"}"#)
        #expect(encrypt.failureStatus == nil)
        let decrypt = Kms_V1_BatchDecryptResult.with {
            $0.response = .with { $0.plaintext = Data("hi".utf8); $0.keyID = "k"; $0.keyVersion = 1; $0.encryptionAlgorithm = .rsaesOaepSha1 }
        }
        #expect(decrypt.outputLine(requestID: nil) == #"{"plaintext":"aGk=","key_id":"k","key_version":1,"encryption_algorithm":"RSAES_OAEP_SHA_1"}"#)
        let dataKey = Kms_V1_BatchGenerateDataKeyResult.with {
            $0.response = .with { $0.plaintext = Data([0xFF]); $0.ciphertextBlob = Data([0]); $0.keyID = "k"; $0.keyVersion = 3 }
        }
        #expect(dataKey.outputLine(requestID: nil) == #"{"plaintext":"/w==","ciphertext":"AA==","key_id":"k","key_version":3}"#)
    }

    @Test func failedItemsBecomeErrorObjects() throws {
        let bytes: [UInt8] = try GoogleRPCStatus(code: .permissionDenied, message: "not allowed", details: [.errorInfo(reason: "ACCESS_DENIED", domain: "kms")]).serializedBytes()
        let result = Kms_V1_BatchDecryptResult.with { $0.error = try! Google_Rpc_Status(serializedBytes: bytes) }
        #expect(result.failureStatus != nil)
        #expect(result.outputLine(requestID: "r1") == #"{"code":"PERMISSION_DENIED","reason":"ACCESS_DENIED","message":"not allowed","request_id":"r1"}"#)
        let empty = Kms_V1_BatchEncryptResult()
        #expect(empty.failureStatus != nil)
        #expect(empty.outputLine(requestID: nil).hasPrefix(#"{"code":"UNKNOWN","#))
    }
}
