import Foundation
import KMSCore

/// One version of a key, its material wrapped (encrypted) under the root key.
///
/// The store keeps `wrappedMaterial` as opaque bytes. The type prints only the size of the
/// material, never its bytes.
public struct WrappedKeyVersion: Sendable, Equatable, CustomStringConvertible, CustomReflectable {
    /// The key this version belongs to.
    public let keyID: KeyID
    /// The version number, starting at 1.
    public let version: KeyVersion
    /// The key material wrapped under the root key, as produced by the wrapping code.
    public let wrappedMaterial: [UInt8]
    /// When the version was created. Stores keep whole microseconds (see `Date.roundedToMicroseconds`).
    public let creationDate: Date
    /// How the version came to be: with the key, by the rotation job, or on demand.
    public let rotationType: RotationType
    /// Whether ciphertexts made under this version may be decrypted. The current version is
    /// always enabled.
    public let isEnabled: Bool

    /// Creates a wrapped key version.
    public init(
        keyID: KeyID,
        version: KeyVersion,
        wrappedMaterial: [UInt8],
        creationDate: Date,
        rotationType: RotationType = .creation,
        isEnabled: Bool = true
    ) {
        self.keyID = keyID
        self.version = version
        self.wrappedMaterial = wrappedMaterial
        self.creationDate = creationDate
        self.rotationType = rotationType
        self.isEnabled = isEnabled
    }

    /// The key id, the version, how it was made, whether it is enabled and the size of the
    /// wrapped material.
    public var description: String {
        "WrappedKeyVersion(\(keyID) v\(version), \(rotationType.rawValue), \(isEnabled ? "enabled" : "disabled"), \(wrappedMaterial.count) bytes)"
    }

    /// A mirror that shows no material bytes, so `dump` prints none.
    public var customMirror: Mirror {
        Mirror(self, children: [
            "keyID": keyID, "version": version, "wrappedMaterialCount": wrappedMaterial.count,
            "creationDate": creationDate, "rotationType": rotationType, "isEnabled": isEnabled,
        ])
    }
}
