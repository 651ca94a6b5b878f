import KMSCore
import KMSService
import Testing

/// The lifecycle, tag, alias, deletion, rotation and version operations that name a key,
/// for tests that run each one. Before running one, create the alias
/// `KeyOperation.existingAlias` for some key, and `prepare` the key it runs on.
enum KeyOperation: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case enableKey, disableKey, updateKeyDescription, tagResource, untagResource, listResourceTags, createAlias, updateAlias
    case scheduleKeyDeletion, cancelKeyDeletion, enableKeyRotation, disableKeyRotation, getKeyRotationStatus
    case rotateKeyOnDemand, listKeyRotations, disableKeyVersion, enableKeyVersion

    static let existingAlias = "alias/existing"

    /// The policy action the operation needs on the key.
    var action: KMSAction {
        switch self {
        case .enableKey: .enableKey
        case .disableKey: .disableKey
        case .updateKeyDescription: .updateKeyDescription
        case .tagResource: .tagResource
        case .untagResource: .untagResource
        case .listResourceTags: .listResourceTags
        case .createAlias: .createAlias
        case .updateAlias: .updateAlias
        case .scheduleKeyDeletion: .scheduleKeyDeletion
        case .cancelKeyDeletion: .cancelKeyDeletion
        case .enableKeyRotation: .enableKeyRotation
        case .disableKeyRotation: .disableKeyRotation
        case .getKeyRotationStatus: .getKeyRotationStatus
        case .rotateKeyOnDemand: .rotateKeyOnDemand
        case .listKeyRotations: .listKeyRotations
        case .disableKeyVersion: .disableKeyVersion
        case .enableKeyVersion: .enableKeyVersion
        }
    }

    /// Whether the operation's key field also accepts an alias (alias targets must be ids).
    var acceptsAlias: Bool {
        self != .createAlias && self != .updateAlias
    }

    var testDescription: String { rawValue }

    /// Runs the operation on the key named `keyID` (for `createAlias`, a fresh alias to
    /// it; for `updateAlias`, `existingAlias` pointed at it).
    func run(_ service: KeyManagementService, keyID: String, context: RequestContext) async throws {
        switch self {
        case .enableKey: try await service.enableKey(keyID: keyID, context: context)
        case .disableKey: try await service.disableKey(keyID: keyID, context: context)
        case .updateKeyDescription: try await service.updateKeyDescription(keyID: keyID, description: "changed", context: context)
        case .tagResource: try await service.tagResource(keyID: keyID, tags: ["team": "ops"], context: context)
        case .untagResource: try await service.untagResource(keyID: keyID, tagKeys: ["team"], context: context)
        case .listResourceTags: _ = try await service.listResourceTags(keyID: keyID, context: context)
        case .createAlias: try await service.createAlias(name: "alias/new", targetKeyID: keyID, context: context)
        case .updateAlias: try await service.updateAlias(name: Self.existingAlias, targetKeyID: keyID, context: context)
        case .scheduleKeyDeletion: _ = try await service.scheduleKeyDeletion(keyID: keyID, pendingWindowInDays: 7, context: context)
        case .cancelKeyDeletion: _ = try await service.cancelKeyDeletion(keyID: keyID, context: context)
        case .enableKeyRotation: try await service.enableKeyRotation(keyID: keyID, rotationPeriodInDays: 0, context: context)
        case .disableKeyRotation: try await service.disableKeyRotation(keyID: keyID, context: context)
        case .getKeyRotationStatus: _ = try await service.getKeyRotationStatus(keyID: keyID, context: context)
        case .rotateKeyOnDemand: _ = try await service.rotateKeyOnDemand(keyID: keyID, context: context)
        case .listKeyRotations: _ = try await service.listKeyRotations(keyID: keyID, pageSize: 0, pageToken: "", context: context)
        case .disableKeyVersion: try await service.disableKeyVersion(keyID: keyID, version: 1, context: context)
        case .enableKeyVersion: try await service.enableKeyVersion(keyID: keyID, version: 1, context: context)
        }
    }

    /// Puts the key in the state the operation needs to succeed: pending deletion to cancel
    /// it, a second version so that version 1 may be disabled.
    func prepare(_ service: KeyManagementService, keyID: String, context: RequestContext) async throws {
        switch self {
        case .cancelKeyDeletion: _ = try await service.scheduleKeyDeletion(keyID: keyID, pendingWindowInDays: 0, context: context)
        case .disableKeyVersion: _ = try await service.rotateKeyOnDemand(keyID: keyID, context: context)
        default: break
        }
    }
}
