import Foundation
import KMSProto
import SwiftProtobuf

/// A proto enum that the command-line tools name, on the command line and in output, by its value
/// names without the type prefix: `ECDSA_SHA_256` for `SIGNING_ALGORITHM_ECDSA_SHA_256`.
///
/// Conformers list the names once, in an exhaustive switch, so that a value added to the
/// proto fails the build until it has a name here.
public protocol ProtoNamed: SwiftProtobuf.Enum, CaseIterable {
    /// The value's proto name without the type prefix; `nil` for an unrecognized value.
    var protoName: String? { get }
}

extension ProtoNamed {
    /// The value's name (`ENABLED`), or `UNRECOGNIZED(n)`, for human output.
    public var displayName: String {
        protoName ?? "UNRECOGNIZED(\(rawValue))"
    }

    /// The value named `name`, without regard to case (`ecdsa_sha_256`); never the zero
    /// (`UNSPECIFIED`) value, which callers ask for by leaving an option out.
    public init?(named name: String) {
        guard let value = Self.allCases.first(where: { $0 != Self() && $0.displayName.caseInsensitiveCompare(name) == .orderedSame }) else {
            return nil
        }
        self = value
    }

    /// The names ``init(named:)`` accepts.
    public static var names: [String] {
        allCases.filter { $0 != Self() }.map(\.displayName)
    }
}

extension Kms_V1_KeySpec: ProtoNamed {
    public var protoName: String? {
        switch self {
        case .unspecified: "UNSPECIFIED"
        case .symmetricDefault: "SYMMETRIC_DEFAULT"
        case .eccNistP256: "ECC_NIST_P256"
        case .eccNistP384: "ECC_NIST_P384"
        case .eccNistP521: "ECC_NIST_P521"
        case .ed25519: "ED25519"
        case .rsa2048: "RSA_2048"
        case .rsa3072: "RSA_3072"
        case .rsa4096: "RSA_4096"
        case .hmac256: "HMAC_256"
        case .hmac384: "HMAC_384"
        case .hmac512: "HMAC_512"
        case .UNRECOGNIZED: nil
        }
    }
}

extension Kms_V1_KeyUsage: ProtoNamed {
    public var protoName: String? {
        switch self {
        case .unspecified: "UNSPECIFIED"
        case .encryptDecrypt: "ENCRYPT_DECRYPT"
        case .signVerify: "SIGN_VERIFY"
        case .generateVerifyMac: "GENERATE_VERIFY_MAC"
        case .UNRECOGNIZED: nil
        }
    }
}

extension Kms_V1_KeyState: ProtoNamed {
    public var protoName: String? {
        switch self {
        case .unspecified: "UNSPECIFIED"
        case .enabled: "ENABLED"
        case .disabled: "DISABLED"
        case .pendingDeletion: "PENDING_DELETION"
        case .destroyed: "DESTROYED"
        case .UNRECOGNIZED: nil
        }
    }
}

extension Kms_V1_DataKeySpec: ProtoNamed {
    public var protoName: String? {
        switch self {
        case .unspecified: "UNSPECIFIED"
        case .aes256: "AES_256"
        case .aes128: "AES_128"
        case .UNRECOGNIZED: nil
        }
    }
}

extension Kms_V1_MessageType: ProtoNamed {
    public var protoName: String? {
        switch self {
        case .unspecified: "UNSPECIFIED"
        case .raw: "RAW"
        case .digest: "DIGEST"
        case .UNRECOGNIZED: nil
        }
    }
}

extension Kms_V1_SigningAlgorithm: ProtoNamed {
    public var protoName: String? {
        switch self {
        case .unspecified: "UNSPECIFIED"
        case .ecdsaSha256: "ECDSA_SHA_256"
        case .ecdsaSha384: "ECDSA_SHA_384"
        case .ecdsaSha512: "ECDSA_SHA_512"
        case .ed25519: "ED25519"
        case .rsassaPssSha256: "RSASSA_PSS_SHA_256"
        case .rsassaPssSha384: "RSASSA_PSS_SHA_384"
        case .rsassaPssSha512: "RSASSA_PSS_SHA_512"
        case .rsassaPkcs1V15Sha256: "RSASSA_PKCS1_V1_5_SHA_256"
        case .rsassaPkcs1V15Sha384: "RSASSA_PKCS1_V1_5_SHA_384"
        case .rsassaPkcs1V15Sha512: "RSASSA_PKCS1_V1_5_SHA_512"
        case .UNRECOGNIZED: nil
        }
    }
}

extension Kms_V1_EncryptionAlgorithm: ProtoNamed {
    public var protoName: String? {
        switch self {
        case .unspecified: "UNSPECIFIED"
        case .symmetricDefault: "SYMMETRIC_DEFAULT"
        case .rsaesOaepSha256: "RSAES_OAEP_SHA_256"
        case .rsaesOaepSha1: "RSAES_OAEP_SHA_1"
        case .UNRECOGNIZED: nil
        }
    }
}

extension Kms_V1_MacAlgorithm: ProtoNamed {
    public var protoName: String? {
        switch self {
        case .unspecified: "UNSPECIFIED"
        case .hmacSha256: "HMAC_SHA_256"
        case .hmacSha384: "HMAC_SHA_384"
        case .hmacSha512: "HMAC_SHA_512"
        case .UNRECOGNIZED: nil
        }
    }
}

extension Kms_V1_DataKeyPairSpec: ProtoNamed {
    public var protoName: String? {
        switch self {
        case .unspecified: "UNSPECIFIED"
        case .eccNistP256: "ECC_NIST_P256"
        case .eccNistP384: "ECC_NIST_P384"
        case .eccNistP521: "ECC_NIST_P521"
        case .ed25519: "ED25519"
        case .rsa2048: "RSA_2048"
        case .rsa3072: "RSA_3072"
        case .rsa4096: "RSA_4096"
        case .UNRECOGNIZED: nil
        }
    }
}

extension Kms_V1_RotationType: ProtoNamed {
    public var protoName: String? {
        switch self {
        case .unspecified: "UNSPECIFIED"
        case .automatic: "AUTOMATIC"
        case .onDemand: "ON_DEMAND"
        case .UNRECOGNIZED: nil
        }
    }
}

extension Kms_V1_AccessDecision: ProtoNamed {
    public var protoName: String? {
        switch self {
        case .unspecified: "UNSPECIFIED"
        case .allow: "ALLOW"
        case .explicitDeny: "EXPLICIT_DENY"
        case .implicitDeny: "IMPLICIT_DENY"
        case .UNRECOGNIZED: nil
        }
    }
}

extension Grpc_Health_V1_HealthCheckResponse.ServingStatus: ProtoNamed {
    public var protoName: String? {
        switch self {
        case .unknown: "UNKNOWN"
        case .serving: "SERVING"
        case .notServing: "NOT_SERVING"
        case .serviceUnknown: "SERVICE_UNKNOWN"
        case .UNRECOGNIZED: nil
        }
    }
}
