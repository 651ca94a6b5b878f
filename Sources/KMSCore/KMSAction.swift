/// An action a policy can allow or deny, named as in policies (`kms:Encrypt`).
public enum KMSAction: String, Sendable, CaseIterable, Hashable {
    case createKey = "kms:CreateKey"
    case describeKey = "kms:DescribeKey"
    case listKeys = "kms:ListKeys"
    case encrypt = "kms:Encrypt"
    case decrypt = "kms:Decrypt"
    case reEncryptFrom = "kms:ReEncryptFrom"
    case reEncryptTo = "kms:ReEncryptTo"
    case generateDataKey = "kms:GenerateDataKey"
    case generateDataKeyWithoutPlaintext = "kms:GenerateDataKeyWithoutPlaintext"
    case generateRandom = "kms:GenerateRandom"
    case getKeyPolicy = "kms:GetKeyPolicy"
    case putKeyPolicy = "kms:PutKeyPolicy"
    case listKeyPolicies = "kms:ListKeyPolicies"
    case enableKey = "kms:EnableKey"
    case disableKey = "kms:DisableKey"
    case updateKeyDescription = "kms:UpdateKeyDescription"
    case tagResource = "kms:TagResource"
    case untagResource = "kms:UntagResource"
    case listResourceTags = "kms:ListResourceTags"
    case createAlias = "kms:CreateAlias"
    case updateAlias = "kms:UpdateAlias"
    case deleteAlias = "kms:DeleteAlias"
    case listAliases = "kms:ListAliases"
    case scheduleKeyDeletion = "kms:ScheduleKeyDeletion"
    case cancelKeyDeletion = "kms:CancelKeyDeletion"
    case enableKeyRotation = "kms:EnableKeyRotation"
    case disableKeyRotation = "kms:DisableKeyRotation"
    case getKeyRotationStatus = "kms:GetKeyRotationStatus"
    case rotateKeyOnDemand = "kms:RotateKeyOnDemand"
    case listKeyRotations = "kms:ListKeyRotations"
    case disableKeyVersion = "kms:DisableKeyVersion"
    case enableKeyVersion = "kms:EnableKeyVersion"
    case createGrant = "kms:CreateGrant"
    case listGrants = "kms:ListGrants"
    case listRetirableGrants = "kms:ListRetirableGrants"
    case retireGrant = "kms:RetireGrant"
    case revokeGrant = "kms:RevokeGrant"
    case explainAccess = "kms:ExplainAccess"
    case listAuditEvents = "kms:ListAuditEvents"
    case sign = "kms:Sign"
    case verify = "kms:Verify"
    case getPublicKey = "kms:GetPublicKey"
    case generateMac = "kms:GenerateMac"
    case verifyMac = "kms:VerifyMac"
    case generateDataKeyPair = "kms:GenerateDataKeyPair"
    case generateDataKeyPairWithoutPlaintext = "kms:GenerateDataKeyPairWithoutPlaintext"
    /// gRPC server reflection: listing the services and reading their descriptors.
    case reflect = "kms:Reflect"

    /// Whether the action is about one key (decided by that key's policy and the
    /// server policy) rather than about the server as a whole (server policy alone).
    public var isKeyAction: Bool {
        switch self {
        case .createKey, .listKeys, .generateRandom, .listAliases, .listRetirableGrants, .explainAccess, .listAuditEvents, .reflect:
            false
        default: true
        }
    }
}

extension KMSAction {
    /// The RPC name of the action (`Decrypt` for `kms:Decrypt`), as grants list operations.
    public var rpcName: String {
        String(rawValue.dropFirst("kms:".count))
    }
}
