import KMSCore
import KMSService
import Testing

/// The lifecycle, tag and alias operations that name a key, for tests that run each one.
/// Before running one, create the alias `KeyOperation.existingAlias` for some key.
enum KeyOperation: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case enableKey, disableKey, updateKeyDescription, tagResource, untagResource, listResourceTags, createAlias, updateAlias

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
        }
    }
}
