import Foundation
import KMSCore
import KMSStorage
import SQLiteNIO

/// The queries that read keys with their tags, and the decoding of their rows.
///
/// A key comes back as one row per tag (or one row with NULL tag columns when it has none),
/// ordered by key id, so one statement reads a consistent page of keys and tags.
enum StoredKeyRows {
    private static let columns = """
        SELECT k.key_id AS key_id, k.description AS description, k.key_spec AS key_spec,
               k.key_usage AS key_usage, k.key_state AS key_state, k.creation_date AS creation_date,
               k.current_version AS current_version, k.creator AS creator, k.policy AS policy,
               k.deletion_date AS deletion_date, k.rotation_period_days AS rotation_period_days,
               k.next_rotation_date AS next_rotation_date,
               t.tag_key AS tag_key, t.tag_value AS tag_value
        """

    /// Reads the key whose id is bound as parameter 1.
    static let selectOne = columns + """

        FROM keys AS k LEFT JOIN key_tags AS t ON t.key_id = k.key_id
        WHERE k.key_id = ?1
        ORDER BY t.tag_key
        """

    /// Reads up to parameter 2 keys whose ids sort after parameter 1.
    static let selectPage = columns + """

        FROM (SELECT * FROM keys WHERE key_id > ?1 ORDER BY key_id LIMIT ?2) AS k
        LEFT JOIN key_tags AS t ON t.key_id = k.key_id
        ORDER BY k.key_id, t.tag_key
        """

    /// Groups the rows of `selectOne` or `selectPage` into keys, in row order.
    ///
    /// - Throws: `KMSError` `.internalFailure` when a row does not hold a valid key.
    static func decode(_ rows: [SQLiteRow]) throws(KMSError) -> [StoredKey] {
        var keys: [StoredKey] = []
        for row in rows {
            let keyID = try row.keyID("key_id")
            if keys.last?.metadata.keyID != keyID {
                keys.append(try decodeKey(row, keyID: keyID))
            }
            if let tagKey = try row.optionalText("tag_key") {
                keys[keys.count - 1].tags[tagKey] = try row.text("tag_value")
            }
        }
        return keys
    }

    private static func decodeKey(_ row: SQLiteRow, keyID: KeyID) throws(KMSError) -> StoredKey {
        let metadata = KeyMetadata(
            keyID: keyID,
            description: try row.text("description"),
            keySpec: try row.enumValue(KeySpec.self, "key_spec"),
            keyUsage: try row.enumValue(KeyUsage.self, "key_usage"),
            keyState: try row.enumValue(KeyState.self, "key_state"),
            creationDate: try row.date("creation_date"),
            currentVersion: try row.version("current_version"),
            creator: Principal(try row.text("creator")),
            deletionDate: try row.optionalDate("deletion_date"),
            rotation: try decodeRotation(row)
        )
        return StoredKey(metadata: metadata, policy: try row.text("policy"))
    }

    /// The rotation schedule of a key row: both columns set, or neither (rotation disabled).
    private static func decodeRotation(_ row: SQLiteRow) throws(KMSError) -> RotationSchedule? {
        let next = try row.optionalDate("next_rotation_date")
        switch row.column("rotation_period_days") {
        case .null? where next == nil:
            return nil
        case .integer(let days)? where days >= 1:
            guard let next else { throw SQLiteRow.invalid("next_rotation_date") }
            guard let period = Int(exactly: days) else { throw SQLiteRow.invalid("rotation_period_days") }
            return RotationSchedule(periodInDays: period, nextRotationDate: next)
        default:
            throw SQLiteRow.invalid("rotation_period_days")
        }
    }

    /// The columns of `key_versions`, in the order of `insertVersion`.
    private static let versionColumns = "key_id, version, wrapped_material, creation_date, rotation_type, enabled"

    /// Inserts a version row; binds as `SQLiteKeyStore.versionRowBinds` makes them.
    static let insertVersion = "INSERT INTO key_versions (\(versionColumns)) VALUES (?, ?, ?, ?, ?, ?)"

    /// Reads the version of the key bound as parameter 1 whose number is bound as parameter 2.
    static let selectVersion = "SELECT \(versionColumns) FROM key_versions WHERE key_id = ?1 AND version = ?2"

    /// Reads up to parameter 3 versions of the key bound as parameter 1 whose numbers are
    /// above parameter 2, in ascending order.
    static let selectVersionPage = """
        SELECT \(versionColumns) FROM key_versions WHERE key_id = ?1 AND version > ?2
        ORDER BY version LIMIT ?3
        """

    /// Decodes a row of `selectVersion` or `selectVersionPage`.
    ///
    /// - Throws: `KMSError` `.internalFailure` when the row does not hold a valid version.
    static func decodeVersion(_ row: SQLiteRow) throws(KMSError) -> WrappedKeyVersion {
        let enabled: Bool
        switch row.column("enabled") {
        case .integer(1)?: enabled = true
        case .integer(0)?: enabled = false
        default: throw SQLiteRow.invalid("enabled")
        }
        return WrappedKeyVersion(
            keyID: try row.keyID("key_id"),
            version: try row.version("version"),
            wrappedMaterial: try row.bytes("wrapped_material"),
            creationDate: try row.date("creation_date"),
            rotationType: try row.enumValue(RotationType.self, "rotation_type"),
            isEnabled: enabled
        )
    }
}

extension SQLiteRow {
    /// The text in `column`, or `nil` when it is NULL.
    func optionalText(_ column: String) throws(KMSError) -> String? {
        switch self.column(column) {
        case .text(let value): value
        case .null: nil
        default: throw Self.invalid(column)
        }
    }

    func text(_ column: String) throws(KMSError) -> String {
        guard case .text(let value) = self.column(column) else { throw Self.invalid(column) }
        return value
    }

    func bytes(_ column: String) throws(KMSError) -> [UInt8] {
        guard case .blob(let buffer) = self.column(column) else { throw Self.invalid(column) }
        return Array(buffer.readableBytesView)
    }

    func keyID(_ column: String) throws(KMSError) -> KeyID {
        guard let id = KeyID(string: try text(column)) else { throw Self.invalid(column) }
        return id
    }

    func version(_ column: String) throws(KMSError) -> KeyVersion {
        guard case .integer(let value) = self.column(column), let version = KeyVersion(exactly: value) else {
            throw Self.invalid(column)
        }
        return version
    }

    func date(_ column: String) throws(KMSError) -> Date {
        guard case .integer(let value) = self.column(column), let date = Date(microsecondsSince1970: Int64(value)) else {
            throw Self.invalid(column)
        }
        return date
    }

    /// The date in `column`, or `nil` when it is NULL.
    func optionalDate(_ column: String) throws(KMSError) -> Date? {
        if case .null? = self.column(column) { return nil }
        return try date(column)
    }

    func enumValue<T: RawRepresentable<String>>(_ type: T.Type, _ column: String) throws(KMSError) -> T {
        guard let value = T(rawValue: try text(column)) else { throw Self.invalid(column) }
        return value
    }

    /// The error for a stored value that this code cannot read; names the column only.
    static func invalid(_ column: String) -> KMSError {
        KMSError(.internalFailure, "the key store holds an unreadable value in column '\(column)'")
    }
}
