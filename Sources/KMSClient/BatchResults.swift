import Foundation
import KMSProto

/// One result of a batch call: the item's response, or the status the item failed with.
public protocol BatchItemResult: Sendable {
    /// The status the item failed with (an empty status when the result holds neither a
    /// response nor an error); `nil` when it succeeded.
    var failureStatus: Google_Rpc_Status? { get }

    /// The members of the output line of a successful item, bytes in base64; `nil` when the
    /// item failed.
    var successMembers: [(String, JSONLine.Value)]? { get }
}

extension BatchItemResult {
    /// The item's output line: its result, or its error as `FailureSummary.jsonObject`
    /// (`code`, `reason`, `message`, `request_id`) with the batch call's request id.
    public func outputLine(requestID: String?) -> String {
        if let members = successMembers { return JSONLine.object(members) }
        return FailureSummary(itemStatus: failureStatus ?? Google_Rpc_Status(), requestID: requestID).jsonObject
    }
}

extension Kms_V1_BatchEncryptResult: BatchItemResult {
    public var failureStatus: Google_Rpc_Status? {
        if case .response? = result { nil } else { error }
    }

    /// `ciphertext`, `key_id`, `key_version`, `encryption_algorithm`.
    public var successMembers: [(String, JSONLine.Value)]? {
        guard case .response(let response)? = result else { return nil }
        return [
            ("ciphertext", .string(response.ciphertextBlob.base64EncodedString())),
            ("key_id", .string(response.keyID)),
            ("key_version", .integer(Int64(response.keyVersion))),
            ("encryption_algorithm", .string(response.encryptionAlgorithm.displayName)),
        ]
    }
}

extension Kms_V1_BatchDecryptResult: BatchItemResult {
    public var failureStatus: Google_Rpc_Status? {
        if case .response? = result { nil } else { error }
    }

    /// `plaintext`, `key_id`, `key_version`, `encryption_algorithm`.
    public var successMembers: [(String, JSONLine.Value)]? {
        guard case .response(let response)? = result else { return nil }
        return [
            ("plaintext", .string(response.plaintext.base64EncodedString())),
            ("key_id", .string(response.keyID)),
            ("key_version", .integer(Int64(response.keyVersion))),
            ("encryption_algorithm", .string(response.encryptionAlgorithm.displayName)),
        ]
    }
}

extension Kms_V1_BatchGenerateDataKeyResult: BatchItemResult {
    public var failureStatus: Google_Rpc_Status? {
        if case .response? = result { nil } else { error }
    }

    /// `plaintext`, `ciphertext`, `key_id`, `key_version`.
    public var successMembers: [(String, JSONLine.Value)]? {
        guard case .response(let response)? = result else { return nil }
        return [
            ("plaintext", .string(response.plaintext.base64EncodedString())),
            ("ciphertext", .string(response.ciphertextBlob.base64EncodedString())),
            ("key_id", .string(response.keyID)),
            ("key_version", .integer(Int64(response.keyVersion))),
        ]
    }
}
