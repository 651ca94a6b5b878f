import Foundation
import KMSProto

/// The response of a successful batch item, as the members of its output line.
public protocol BatchItemResponse: Sendable {
    /// The members of the item's output line, bytes in base64.
    var outputMembers: [(String, JSONLine.Value)] { get }
}

/// One result of a batch call: the item's response, or the status the item failed with.
public protocol BatchItemResult: Sendable {
    associatedtype Response: BatchItemResponse
    /// The item's response; `nil` when it failed.
    var succeeded: Response? { get }
    /// The status the item failed with (an empty status when the result holds neither).
    var error: Google_Rpc_Status { get }
}

extension BatchItemResult {
    /// The status the item failed with (an empty status, code 0, when the result holds
    /// neither a response nor an error); `nil` when it succeeded.
    public var failureStatus: Google_Rpc_Status? {
        succeeded == nil ? error : nil
    }

    /// The item's output line: its response, or its error as `FailureSummary.jsonObject`
    /// (`code`, `reason`, `message`, `request_id`) with the batch call's request id.
    public func outputLine(requestID: String?) -> String {
        if let succeeded { return JSONLine.object(succeeded.outputMembers) }
        return FailureSummary(itemStatus: error, requestID: requestID).jsonObject
    }
}

extension Kms_V1_BatchEncryptResult: BatchItemResult {
    public var succeeded: Kms_V1_EncryptResponse? { if case .response(let response)? = result { response } else { nil } }
}

extension Kms_V1_BatchDecryptResult: BatchItemResult {
    public var succeeded: Kms_V1_DecryptResponse? { if case .response(let response)? = result { response } else { nil } }
}

extension Kms_V1_BatchGenerateDataKeyResult: BatchItemResult {
    public var succeeded: Kms_V1_GenerateDataKeyResponse? { if case .response(let response)? = result { response } else { nil } }
}

extension Kms_V1_EncryptResponse: BatchItemResponse {
    /// `ciphertext`, `key_id`, `key_version`, `encryption_algorithm`.
    public var outputMembers: [(String, JSONLine.Value)] {
        [("ciphertext", .base64(ciphertextBlob))] + keyMembers(keyID, keyVersion) + [("encryption_algorithm", .string(encryptionAlgorithm.displayName))]
    }
}

extension Kms_V1_DecryptResponse: BatchItemResponse {
    /// `plaintext`, `key_id`, `key_version`, `encryption_algorithm`.
    public var outputMembers: [(String, JSONLine.Value)] {
        [("plaintext", .base64(plaintext))] + keyMembers(keyID, keyVersion) + [("encryption_algorithm", .string(encryptionAlgorithm.displayName))]
    }
}

extension Kms_V1_GenerateDataKeyResponse: BatchItemResponse {
    /// `plaintext`, `ciphertext`, `key_id`, `key_version`.
    public var outputMembers: [(String, JSONLine.Value)] {
        [("plaintext", .base64(plaintext)), ("ciphertext", .base64(ciphertextBlob))] + keyMembers(keyID, keyVersion)
    }
}

/// `key_id` and `key_version`.
private func keyMembers(_ keyID: String, _ keyVersion: UInt32) -> [(String, JSONLine.Value)] {
    [("key_id", .string(keyID)), ("key_version", .integer(Int64(keyVersion)))]
}
