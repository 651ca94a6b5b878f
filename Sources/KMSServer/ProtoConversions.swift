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
        if let deletionDate = metadata.deletionDate {
            deletionTime = Google_Protobuf_Timestamp(date: deletionDate)
        }
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
        case .destroyed: self = .destroyed
        }
    }
}

extension Kms_V1_RotationType {
    /// The proto value. Version 1 is not a rotation, so `.creation` has none: unspecified.
    init(_ type: RotationType) {
        switch type {
        case .creation: self = .unspecified
        case .automatic: self = .automatic
        case .onDemand: self = .onDemand
        }
    }
}

extension Kms_V1_KeyRotation {
    init(_ entry: KeyRotationEntry) {
        self.init()
        keyVersion = entry.version
        createTime = Google_Protobuf_Timestamp(date: entry.creationDate)
        rotationType = Kms_V1_RotationType(entry.rotationType)
    }
}

extension Kms_V1_GetKeyRotationStatusResponse {
    /// The status of a key whose automatic rotation is `schedule` (`nil`: disabled).
    init(_ schedule: RotationSchedule?) {
        self.init()
        guard let schedule else { return }
        enabled = true
        rotationPeriodInDays = Int32(clamping: schedule.periodInDays)
        nextRotationTime = Google_Protobuf_Timestamp(date: schedule.nextRotationDate)
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
