import Foundation

/// Everything the server tells about a key. Never holds key material.
public struct KeyMetadata: Sendable, Equatable {
    public var keyID: KeyID
    public var description: String
    public var keySpec: KeySpec
    public var keyUsage: KeyUsage
    public var keyState: KeyState
    public var creationDate: Date
    /// The version that new encryptions use.
    public var currentVersion: KeyVersion
    /// The principal that created the key.
    public var creator: Principal
    /// When a key pending deletion will be (or a destroyed key was) destroyed.
    public var deletionDate: Date?
    /// Automatic rotation, when enabled.
    public var rotation: RotationSchedule?

    public init(
        keyID: KeyID,
        description: String,
        keySpec: KeySpec,
        keyUsage: KeyUsage,
        keyState: KeyState,
        creationDate: Date,
        currentVersion: KeyVersion,
        creator: Principal,
        deletionDate: Date? = nil,
        rotation: RotationSchedule? = nil
    ) {
        self.keyID = keyID
        self.description = description
        self.keySpec = keySpec
        self.keyUsage = keyUsage
        self.keyState = keyState
        self.creationDate = creationDate
        self.currentVersion = currentVersion
        self.creator = creator
        self.deletionDate = deletionDate
        self.rotation = rotation
    }
}
