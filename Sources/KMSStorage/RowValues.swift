import Foundation
import KMSCore

/// A column value as the key stores write it, before a backend turns it into its driver's
/// bind (text, 64-bit integer, bytes, boolean or NULL).
package enum ColumnValue: Sendable, Equatable {
    case text(String)
    case integer(Int64)
    case bytes([UInt8])
    case bool(Bool)
    case null
}

/// The column values of the rows every store writes, in the column order that the SQLite and
/// PostgreSQL schemas share, checked as `StoreArguments` requires: text without NUL
/// characters, dates as whole microseconds since 1970 within range, rotation periods of at
/// least a day.
package enum RowValues {
    /// The `keys` row: key_id, description, key_spec, key_usage, key_state, creation_date,
    /// current_version, creator, policy, deletion_date, rotation_period_days, next_rotation_date.
    package static func key(_ key: StoredKey) throws(KMSError) -> [ColumnValue] {
        let metadata = key.metadata
        return [
            .text(metadata.keyID.description),
            try text(metadata.description, field: "description"),
            .text(metadata.keySpec.rawValue),
            .text(metadata.keyUsage.rawValue),
            .text(metadata.keyState.rawValue),
            try date(metadata.creationDate, field: "creation date"),
            .integer(Int64(metadata.currentVersion)),
            try text(metadata.creator.name, field: "creator"),
            try text(key.policy, field: "policy"),
            try metadata.deletionDate.map { (date) throws(KMSError) in try Self.date(date, field: "deletion date") } ?? .null,
        ] + (try rotation(metadata.rotation))
    }

    /// rotation_period_days and next_rotation_date: both NULL when rotation is disabled.
    package static func rotation(_ schedule: RotationSchedule?) throws(KMSError) -> [ColumnValue] {
        guard let schedule else { return [.null, .null] }
        return [.integer(try StoreArguments.rotationPeriod(schedule)), try date(schedule.nextRotationDate, field: "next rotation date")]
    }

    /// The `key_versions` row: key_id, version, wrapped_material, creation_date, rotation_type, enabled.
    package static func version(_ version: WrappedKeyVersion) throws(KMSError) -> [ColumnValue] {
        [
            .text(version.keyID.description),
            .integer(Int64(version.version)),
            .bytes(version.wrappedMaterial),
            try date(version.creationDate, field: "version creation date"),
            .text(version.rotationType.rawValue),
            .bool(version.isEnabled),
        ]
    }

    /// The `key_tags` rows (key_id, tag_key, tag_value), in tag key order.
    package static func tags(_ id: KeyID, _ tags: [String: String]) throws(KMSError) -> [[ColumnValue]] {
        try tags.sorted { $0.key < $1.key }.map { (tag) throws(KMSError) -> [ColumnValue] in
            [.text(id.description), try text(tag.key, field: "tag key"), try text(tag.value, field: "tag value")]
        }
    }

    /// The `grants` row: grant_id, key_id, name, creation_date, grantee_principal,
    /// retiring_principal, issuing_principal, operations, context_equals, context_subset, token.
    package static func grant(_ grant: Grant) throws(KMSError) -> [ColumnValue] {
        [
            try text(grant.grantID, field: "grant id"),
            .text(grant.keyID.description),
            try grant.name.map { (name) throws(KMSError) in try text(name, field: "grant name") } ?? .null,
            try date(grant.creationDate, field: "grant creation date"),
            try text(grant.granteePrincipal.name, field: "grantee principal"),
            try grant.retiringPrincipal.map { (principal) throws(KMSError) in try text(principal.name, field: "retiring principal") } ?? .null,
            try text(grant.issuingPrincipal.name, field: "issuing principal"),
            .text(try GrantJSON.operations(grant)),
            .text(try GrantJSON.constraint(grant.constraints.encryptionContextEquals)),
            .text(try GrantJSON.constraint(grant.constraints.encryptionContextSubset)),
            try text(grant.token, field: "grant token"),
        ]
    }

    /// Text a store must give back unchanged.
    ///
    /// - Throws: `KMSError` `.validation` naming `field` when it holds a NUL character.
    package static func text(_ value: String, field: String) throws(KMSError) -> ColumnValue {
        try StoreArguments.checkText(value, field: field)
        return .text(value)
    }

    /// A date as whole microseconds since 1970.
    ///
    /// - Throws: `KMSError` `.validation` naming `field` when it is out of range.
    package static func date(_ value: Date, field: String) throws(KMSError) -> ColumnValue {
        .integer(try StoreArguments.microseconds(value, field: field))
    }
}
