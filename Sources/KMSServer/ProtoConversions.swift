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
        encryptionAlgorithms = metadata.encryptionAlgorithms.map(Kms_V1_EncryptionAlgorithm.init)
        signingAlgorithms = metadata.signingAlgorithms.map(Kms_V1_SigningAlgorithm.init)
        macAlgorithms = metadata.macAlgorithms.map(Kms_V1_MacAlgorithm.init)
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

extension SecretBytes {
    /// Copies the secret into a protobuf `bytes` field value, at the transport edge only.
    var data: Data { withUnsafeBytes { Data($0) } }
}
