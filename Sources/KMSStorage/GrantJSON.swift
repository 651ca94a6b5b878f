import Foundation
import KMSCore

/// How every store keeps a grant's operations and constraints in text columns: the
/// operations as a JSON array of their action raw values (`"kms:Decrypt"`) in the grant's
/// order, each constraint map as a JSON object with sorted keys (`{}` for no limit).
package enum GrantJSON {
    /// The JSON text of the grant's operations.
    package static func operations(_ grant: Grant) throws(KMSError) -> String {
        try encode(grant.operations.map(\.rawValue))
    }

    /// The JSON text of a constraint map.
    package static func constraint(_ pairs: [String: String]) throws(KMSError) -> String {
        try encode(pairs)
    }

    /// Reads operations written by `operations(_:)`.
    ///
    /// - Throws: `KMSError` `.internalFailure` naming `column` when the text is not such a list.
    package static func decodeOperations(_ text: String, column: String) throws(KMSError) -> [KMSAction] {
        try decode([String].self, text, column: column).map { (raw) throws(KMSError) in
            guard let action = KMSAction(rawValue: raw) else { throw invalid(column) }
            return action
        }
    }

    /// Reads a constraint map written by `constraint(_:)`.
    ///
    /// - Throws: `KMSError` `.internalFailure` naming `column` when the text is not such a map.
    package static func decodeConstraint(_ text: String, column: String) throws(KMSError) -> [String: String] {
        try decode([String: String].self, text, column: column)
    }

    private static func encode(_ value: some Encodable) throws(KMSError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            throw KMSError(.internalFailure, "the key store could not encode a grant")
        }
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ text: String, column: String) throws(KMSError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw invalid(column)
        }
    }

    private static func invalid(_ column: String) -> KMSError {
        KMSError(.internalFailure, "the key store holds an unreadable \(column) value")
    }
}
