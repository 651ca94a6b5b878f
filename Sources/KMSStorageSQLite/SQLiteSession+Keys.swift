import KMSCore
import KMSStorage
import SQLiteNIO

extension SQLiteSession {
    /// Whether a key has that id.
    ///
    /// - Throws: `KMSError` `.internalFailure` when the database fails.
    func keyExists(_ id: KeyID) async throws(KMSError) -> Bool {
        try await !query("SELECT 1 FROM keys WHERE key_id = ?", [.text(id.description)]).isEmpty
    }

    /// Checks that a key has that id.
    ///
    /// - Throws: `KMSError` `.keyNotFound` when none has, `.internalFailure` when the
    ///   database fails.
    func requireKey(_ id: KeyID) async throws(KMSError) {
        guard try await keyExists(id) else { throw KMSError.noKey(id) }
    }

    /// Reads the lifecycle state of a key.
    ///
    /// - Throws: `KMSError` `.keyNotFound` when no key has that id, `.internalFailure` when
    ///   the database fails.
    func keyState(_ id: KeyID) async throws(KMSError) -> KeyState {
        guard let row = try await query("SELECT key_state FROM keys WHERE key_id = ?", [.text(id.description)]).first else {
            throw KMSError.noKey(id)
        }
        return try row.enumValue(KeyState.self, "key_state")
    }
}

extension KMSError {
    /// The error for a key id that no key has.
    static func noKey(_ id: KeyID) -> KMSError {
        KMSError(.keyNotFound, "no key has id \(id)")
    }
}
