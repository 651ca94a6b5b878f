import Foundation
import KMSCore
import KMSStorage
import PostgresNIO

/// The statements that read and write keys, versions and tags, the binds of their rows and
/// the decoding of the rows they return.
enum PostgresRows {
    static let insertKey = """
        INSERT INTO keys (key_id, description, key_spec, key_usage, key_state, creation_date, current_version,
                          creator, policy, deletion_date, rotation_period_days, next_rotation_date)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::BIGINT, $11::BIGINT, $12::BIGINT)
        """

    /// Inserts a tag, or replaces the value of the key's tag with that tag key.
    static let upsertTag = """
        INSERT INTO key_tags (key_id, tag_key, tag_value) VALUES ($1, $2, $3)
        ON CONFLICT (key_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value
        """

    private static let keyColumns = """
        SELECT k.key_id, k.description, k.key_spec, k.key_usage, k.key_state, k.creation_date, k.current_version,
               k.creator, k.policy, k.deletion_date, k.rotation_period_days, k.next_rotation_date,
               t.tag_key, t.tag_value
        """

    /// Reads the key bound as $1 with its tags, one row per tag.
    static let selectOneKey = keyColumns + """

        FROM keys AS k LEFT JOIN key_tags AS t ON t.key_id = k.key_id
        WHERE k.key_id = $1
        ORDER BY t.tag_key
        """

    /// Reads up to $2 keys whose ids sort after $1, with their tags.
    static let selectKeyPage = keyColumns + """

        FROM (SELECT * FROM keys WHERE key_id > $1 ORDER BY key_id LIMIT $2) AS k
        LEFT JOIN key_tags AS t ON t.key_id = k.key_id
        ORDER BY k.key_id, t.tag_key
        """

    private static let versionColumns = "key_id, version, wrapped_material, creation_date, rotation_type, enabled"

    static let insertVersion = "INSERT INTO key_versions (\(versionColumns)) VALUES ($1, $2, $3, $4, $5, $6)"

    /// Reads version $2 of key $1.
    static let selectVersion = "SELECT \(versionColumns) FROM key_versions WHERE key_id = $1 AND version = $2"

    /// Reads up to $3 versions of key $1 above $2, in ascending order.
    static let selectVersionPage = """
        SELECT \(versionColumns) FROM key_versions WHERE key_id = $1 AND version > $2 ORDER BY version LIMIT $3
        """

    /// A text cursor that PostgreSQL can bind: text cannot hold NUL, and since no stored name
    /// does either, the names after `cursor` in byte order are exactly those after its part
    /// before the first NUL.
    static func cursor(_ cursor: String?) -> ColumnValue {
        .text(String(decoding: (cursor ?? "").utf8.prefix { $0 != 0 }, as: UTF8.self))
    }

    /// Groups the rows of `selectOneKey` or `selectKeyPage` into keys, in row order.
    static func decodeKeys(_ rows: [PostgresRandomAccessRow]) throws(KMSError) -> [StoredKey] {
        var keys: [StoredKey] = []
        for row in rows {
            let keyID = try row.keyID("key_id")
            if keys.last?.metadata.keyID != keyID {
                keys.append(try decodeKey(row, keyID: keyID))
            }
            if let tagKey = try row.value("tag_key", as: String?.self) {
                keys[keys.count - 1].tags[tagKey] = try row.value("tag_value", as: String.self)
            }
        }
        return keys
    }

    private static func decodeKey(_ row: PostgresRandomAccessRow, keyID: KeyID) throws(KMSError) -> StoredKey {
        let metadata = KeyMetadata(
            keyID: keyID,
            description: try row.value("description", as: String.self),
            keySpec: try row.enumValue(KeySpec.self, "key_spec"),
            keyUsage: try row.enumValue(KeyUsage.self, "key_usage"),
            keyState: try row.enumValue(KeyState.self, "key_state"),
            creationDate: try row.date("creation_date"),
            currentVersion: try row.version("current_version"),
            creator: Principal(try row.value("creator", as: String.self)),
            deletionDate: try row.optionalDate("deletion_date"),
            rotation: try decodeRotation(row)
        )
        return StoredKey(metadata: metadata, policy: try row.value("policy", as: String.self))
    }

    private static func decodeRotation(_ row: PostgresRandomAccessRow) throws(KMSError) -> RotationSchedule? {
        let next = try row.optionalDate("next_rotation_date")
        switch (try row.value("rotation_period_days", as: Int64?.self), next) {
        case (nil, nil):
            return nil
        case (let days?, let next?) where days >= 1:
            guard let period = Int(exactly: days) else { throw PostgresRandomAccessRow.invalid("rotation_period_days") }
            return RotationSchedule(periodInDays: period, nextRotationDate: next)
        default:
            throw PostgresRandomAccessRow.invalid("rotation_period_days")
        }
    }

    /// Decodes a row of `selectVersion` or `selectVersionPage`.
    static func decodeVersion(_ row: PostgresRandomAccessRow) throws(KMSError) -> WrappedKeyVersion {
        WrappedKeyVersion(
            keyID: try row.keyID("key_id"),
            version: try row.version("version"),
            wrappedMaterial: try row.bytes("wrapped_material"),
            creationDate: try row.date("creation_date"),
            rotationType: try row.enumValue(RotationType.self, "rotation_type"),
            isEnabled: try row.value("enabled", as: Bool.self)
        )
    }
}
