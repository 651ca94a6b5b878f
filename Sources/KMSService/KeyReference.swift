import KMSCore

/// Parses the `key_id` fields of requests.
enum KeyReference {
    /// Reads a required key id field.
    ///
    /// - Throws: `.validation` naming `field` when it is empty or not a key id.
    static func parse(_ raw: String, field: String) throws(KMSError) -> KeyID {
        guard !raw.isEmpty else { throw KMSError(.validation, "\(field) is required") }
        guard let id = KeyID(string: raw) else {
            throw KMSError(.validation, "\(field) must be a key id (a UUID)")
        }
        return id
    }

    /// Reads an optional key id field; empty means not given.
    static func parseOptional(_ raw: String, field: String) throws(KMSError) -> KeyID? {
        raw.isEmpty ? nil : try parse(raw, field: field)
    }
}
