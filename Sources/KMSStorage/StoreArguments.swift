import Foundation
import KMSCore

/// The argument checks every `KeyStore` makes the same way, before it touches its database,
/// so the backends refuse the same calls with the same errors.
package enum StoreArguments {
    /// Checks that `firstVersion` is the first version of `key` (`createKey`).
    ///
    /// - Throws: `KMSError` `.validation` when it belongs to another key or is not the key's
    ///   current version.
    package static func checkFirstVersion(_ firstVersion: WrappedKeyVersion, of key: StoredKey) throws(KMSError) {
        let metadata = key.metadata
        guard firstVersion.keyID == metadata.keyID else {
            throw KMSError(.validation, "the first version belongs to key \(firstVersion.keyID), not \(metadata.keyID)")
        }
        guard firstVersion.version == metadata.currentVersion else {
            throw KMSError(
                .validation,
                "the first version is \(firstVersion.version) but the key's current version is \(metadata.currentVersion)"
            )
        }
    }

    /// Checks that the versions and grants of an imported key belong to it (`importKey`).
    ///
    /// - Throws: `KMSError` `.validation`.
    package static func checkImport(_ key: StoredKey, versions: [WrappedKeyVersion], grants: [Grant]) throws(KMSError) {
        let id = key.metadata.keyID
        guard versions.allSatisfy({ $0.keyID == id }), grants.allSatisfy({ $0.keyID == id }) else {
            throw KMSError(.validation, "an imported version or grant does not belong to key \(id)")
        }
    }

    /// Checks the version a rotation adds (`addVersion`).
    ///
    /// - Throws: `KMSError` `.validation` when it does not follow `expectedCurrent` or is disabled.
    package static func checkNewVersion(_ newVersion: WrappedKeyVersion, expectedCurrent: KeyVersion) throws(KMSError) {
        let id = newVersion.keyID
        guard expectedCurrent < KeyVersion.max, newVersion.version == expectedCurrent + 1 else {
            throw KMSError(
                .validation,
                "the new version of key \(id) is \(newVersion.version); it must follow the current version \(expectedCurrent)"
            )
        }
        guard newVersion.isEnabled else {
            throw KMSError(.validation, "the new version of key \(id) is disabled; a key's current version must be enabled")
        }
    }

    /// Checks the `limit` of a list call.
    ///
    /// - Throws: `KMSError` `.validation` when it is less than 1.
    package static func checkListLimit(_ limit: Int) throws(KMSError) {
        guard limit >= 1 else {
            throw KMSError(.validation, "the list limit is \(limit); it must be at least 1")
        }
    }

    /// Checks text a store must give back unchanged: neither SQLite's text nor PostgreSQL's
    /// holds a NUL character.
    ///
    /// - Throws: `KMSError` `.validation` naming `field`.
    package static func checkText(_ value: String, field: String) throws(KMSError) {
        guard !value.utf8.contains(0) else {
            throw KMSError(.validation, "the \(field) contains a NUL character")
        }
    }

    /// A date as the whole microseconds since 1970 that stores keep.
    ///
    /// - Throws: `KMSError` `.validation` naming `field` when it is not finite or out of range.
    package static func microseconds(_ value: Date, field: String) throws(KMSError) -> Int64 {
        guard let micros = value.microsecondsSince1970 else {
            throw KMSError(.validation, "the \(field) is out of range")
        }
        return micros
    }

    /// A rotation period as stored, checked.
    ///
    /// - Throws: `KMSError` `.validation` when it is less than 1 day.
    package static func rotationPeriod(_ schedule: RotationSchedule) throws(KMSError) -> Int64 {
        guard schedule.periodInDays >= 1, let days = Int64(exactly: schedule.periodInDays) else {
            throw KMSError(.validation, "the rotation period is \(schedule.periodInDays) days; it must be at least 1")
        }
        return days
    }
}
