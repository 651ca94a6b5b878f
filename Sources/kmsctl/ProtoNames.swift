import ArgumentParser
import KMSProto

/// `--key-usage`: what a new key may be used for.
enum KeyUsageArgument: String, CaseIterable, ExpressibleByArgument {
    case encryptDecrypt = "ENCRYPT_DECRYPT"
    case signVerify = "SIGN_VERIFY"
    case generateVerifyMAC = "GENERATE_VERIFY_MAC"

    /// The proto value.
    var proto: Kms_V1_KeyUsage {
        switch self {
        case .encryptDecrypt: .encryptDecrypt
        case .signVerify: .signVerify
        case .generateVerifyMAC: .generateVerifyMac
        }
    }
}

/// `--key-spec`: the length of a data key.
enum DataKeySpecArgument: String, CaseIterable, ExpressibleByArgument {
    case aes256 = "AES_256"
    case aes128 = "AES_128"

    /// The proto value.
    var proto: Kms_V1_DataKeySpec {
        switch self {
        case .aes256: .aes256
        case .aes128: .aes128
        }
    }
}

extension Kms_V1_KeySpec {
    /// The proto name of the value without its type prefix (`ENABLED`), for human output.
    var displayName: String {
        switch self {
        case .unspecified: "UNSPECIFIED"
        case .symmetricDefault: "SYMMETRIC_DEFAULT"
        case .UNRECOGNIZED(let value): "UNRECOGNIZED(\(value))"
        }
    }
}

extension Kms_V1_KeyUsage {
    /// The proto name of the value without its type prefix (`ENABLED`), for human output.
    var displayName: String {
        switch self {
        case .unspecified: "UNSPECIFIED"
        case .encryptDecrypt: "ENCRYPT_DECRYPT"
        case .signVerify: "SIGN_VERIFY"
        case .generateVerifyMac: "GENERATE_VERIFY_MAC"
        case .UNRECOGNIZED(let value): "UNRECOGNIZED(\(value))"
        }
    }
}

extension Kms_V1_KeyState {
    /// The proto name of the value without its type prefix (`ENABLED`), for human output.
    var displayName: String {
        switch self {
        case .unspecified: "UNSPECIFIED"
        case .enabled: "ENABLED"
        case .disabled: "DISABLED"
        case .pendingDeletion: "PENDING_DELETION"
        case .destroyed: "DESTROYED"
        case .UNRECOGNIZED(let value): "UNRECOGNIZED(\(value))"
        }
    }
}

extension Kms_V1_RotationType {
    /// The proto name of the value without its type prefix (`ON_DEMAND`), for human output.
    var displayName: String {
        switch self {
        case .unspecified: "UNSPECIFIED"
        case .automatic: "AUTOMATIC"
        case .onDemand: "ON_DEMAND"
        case .UNRECOGNIZED(let value): "UNRECOGNIZED(\(value))"
        }
    }
}

extension Grpc_Health_V1_HealthCheckResponse.ServingStatus {
    /// The proto name of the value without its type prefix (`ENABLED`), for human output.
    var displayName: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .serving: "SERVING"
        case .notServing: "NOT_SERVING"
        case .serviceUnknown: "SERVICE_UNKNOWN"
        case .UNRECOGNIZED(let value): "UNRECOGNIZED(\(value))"
        }
    }
}
