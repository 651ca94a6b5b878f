import Foundation
import KMSCore
import KMSStorage

/// Builders for keys and versions used across the key store tests.
package enum TestKeys {
    /// A date on the microsecond grid, so it is stored and read back exactly.
    package static let creationDate = Date(timeIntervalSinceReferenceDate: 790_000_000.123456)

    package static let policy = #"{"Version":"2012-10-17","Statement":[{"Sid":"Owner","Effect":"Allow","Principal":"spiffe://test/owner","Action":"kms:*","Resource":"*"}]}"#

    /// One day, in seconds.
    package static let day: TimeInterval = 86_400

    /// A key with version 1 and its wrapped version, with random wrapped material unless given.
    package static func make(
        id: KeyID = .random(),
        description: String = "test key",
        state: KeyState = .enabled,
        tags: [String: String] = [:],
        material: [UInt8] = randomBytes(60),
        deletionDate: Date? = nil,
        rotation: RotationSchedule? = nil
    ) -> (key: StoredKey, version: WrappedKeyVersion) {
        let metadata = KeyMetadata(
            keyID: id,
            description: description,
            keySpec: .symmetricDefault,
            keyUsage: .encryptDecrypt,
            keyState: state,
            creationDate: creationDate,
            currentVersion: 1,
            creator: Principal("spiffe://test/ns/payments/sa/creator"),
            deletionDate: deletionDate,
            rotation: rotation
        )
        let version = WrappedKeyVersion(
            keyID: id, version: 1, wrappedMaterial: material, creationDate: creationDate.addingTimeInterval(0.000_001)
        )
        return (StoredKey(metadata: metadata, policy: policy, tags: tags), version)
    }

    /// A later version of a key, created `number` days after the key, with random wrapped
    /// material unless given.
    package static func version(
        _ number: KeyVersion,
        of id: KeyID,
        rotationType: RotationType = .onDemand,
        isEnabled: Bool = true,
        material: [UInt8] = randomBytes(60)
    ) -> WrappedKeyVersion {
        WrappedKeyVersion(
            keyID: id, version: number, wrappedMaterial: material,
            creationDate: creationDate.addingTimeInterval(Double(number) * day),
            rotationType: rotationType, isEnabled: isEnabled
        )
    }

    /// A rotation schedule whose next rotation is `days` days after the key's creation date.
    package static func schedule(period: Int = 365, nextInDays days: Double) -> RotationSchedule {
        RotationSchedule(periodInDays: period, nextRotationDate: creationDate.addingTimeInterval(days * day))
    }

    package static func randomBytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: .min ... .max) }
    }
}
