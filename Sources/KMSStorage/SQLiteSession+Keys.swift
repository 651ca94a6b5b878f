import KMSCore
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
}

extension KMSError {
    /// The error for a key id that no key has.
    static func noKey(_ id: KeyID) -> KMSError {
        KMSError(.keyNotFound, "no key has id \(id)")
    }
}
