import Foundation
import KMSCore
import KMSCrypto
import KMSProto
import KMSService
import SwiftProtobuf

extension Kms_V1_KeyMetadata {
    init(_ metadata: KeyMetadata) {
        self.init()
        keyID = metadata.keyID.description
        description_p = metadata.description
        keySpec = Kms_V1_KeySpec(metadata.keySpec)
        keyUsage = Kms_V1_KeyUsage(metadata.keyUsage)
        keyState = Kms_V1_KeyState(metadata.keyState)
        creationTime = Google_Protobuf_Timestamp(date: metadata.creationDate)
        currentKeyVersion = metadata.currentVersion
        creator = metadata.creator.name
    }
}

extension Kms_V1_KeySpec {
    init(_ spec: KeySpec) {
        switch spec {
        case .symmetricDefault: self = .symmetricDefault
        }
    }

    /// The domain value; `nil` for unspecified.
    func domain() throws(KMSError) -> KeySpec? {
        switch self {
        case .unspecified: nil
        case .symmetricDefault: .symmetricDefault
        case .UNRECOGNIZED(let value): throw KMSError(.validation, "key_spec \(value) is not a known KeySpec")
        }
    }
}

extension Kms_V1_KeyUsage {
    init(_ usage: KeyUsage) {
        switch usage {
        case .encryptDecrypt: self = .encryptDecrypt
        case .signVerify: self = .signVerify
        case .generateVerifyMAC: self = .generateVerifyMac
        }
    }

    /// The domain value; `nil` for unspecified.
    func domain() throws(KMSError) -> KeyUsage? {
        switch self {
        case .unspecified: nil
        case .encryptDecrypt: .encryptDecrypt
        case .signVerify: .signVerify
        case .generateVerifyMac: .generateVerifyMAC
        case .UNRECOGNIZED(let value): throw KMSError(.validation, "key_usage \(value) is not a known KeyUsage")
        }
    }
}

extension Kms_V1_KeyState {
    init(_ state: KeyState) {
        switch state {
        case .enabled: self = .enabled
        case .disabled: self = .disabled
        case .pendingDeletion: self = .pendingDeletion
        }
    }
}

extension Kms_V1_DataKeySpec {
    /// The domain value; `nil` for unspecified.
    func domain() throws(KMSError) -> DataKeySpec? {
        switch self {
        case .unspecified: nil
        case .aes256: .aes256
        case .aes128: .aes128
        case .UNRECOGNIZED(let value): throw KMSError(.validation, "key_spec \(value) is not a known DataKeySpec")
        }
    }
}

extension SecretBytes {
    /// Copies the secret into a protobuf `bytes` field value, at the transport edge only.
    var data: Data { withUnsafeBytes { Data($0) } }
}
