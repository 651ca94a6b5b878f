import Foundation
import KMSCore

extension KeyManagementService {
    /// Schedules the destruction of a key's material (`kms:ScheduleKeyDeletion`).
    ///
    /// The key becomes `pendingDeletion` at once and refuses cryptography with
    /// `.keyPendingDeletion`; when the window ends, `runDueWork` destroys every version's
    /// material. `cancelKeyDeletion` stops it until then.
    ///
    /// - Parameters:
    ///   - keyID: A key id or `alias/NAME`.
    ///   - pendingWindowInDays: 7–30, or 0 for 30. The deletion date is now plus that many days.
    /// - Returns: The key's metadata: state `pendingDeletion` and its `deletionDate`.
    /// - Throws: `.validation`, `.keyNotFound`, `.accessDenied`; `.invalidState` when the
    ///   key is already pending deletion or destroyed.
    public func scheduleKeyDeletion(keyID raw: String, pendingWindowInDays: Int, context: RequestContext) async throws(KMSError) -> KeyMetadata {
        let days = try Validation.days(
            pendingWindowInDays, field: "pending_window_in_days",
            allowed: Limits.pendingWindowDays, defaultDays: Limits.defaultPendingWindowDays
        )
        let (key, alias) = try await loadKey(named: raw)
        try authorize(.scheduleKeyDeletion, on: key, via: alias, context: context)
        let deletionDate = clock().adding(days: days)
        // The store checks the state in the write's own transaction (not on this cached copy).
        try await commit("schedule deletion", context: context) { try await store.scheduleDeletion(key.id, deletionDate: deletionDate) }
        logger.info("key deletion scheduled", metadata: [
            "key_id": "\(key.id)", "deletion_date": "\(deletionDate)", "principal": "\(context.principal)",
        ])
        return try await reloadKey(key.id).metadata
    }

    /// Stops a scheduled deletion (`kms:CancelKeyDeletion`); the key is then `disabled`
    /// until enabled again.
    ///
    /// - Parameter keyID: A key id or `alias/NAME`.
    /// - Returns: The key's metadata: state `disabled`, no deletion date.
    /// - Throws: `.validation`, `.keyNotFound`, `.accessDenied`; `.invalidState` when no
    ///   deletion is pending (including when the key was already destroyed).
    public func cancelKeyDeletion(keyID raw: String, context: RequestContext) async throws(KMSError) -> KeyMetadata {
        let (key, alias) = try await loadKey(named: raw)
        try authorize(.cancelKeyDeletion, on: key, via: alias, context: context)
        try await commit("cancel deletion", context: context) { try await store.cancelDeletion(key.id) }
        logger.info("key deletion cancelled", metadata: ["key_id": "\(key.id)", "principal": "\(context.principal)"])
        return try await reloadKey(key.id).metadata
    }
}
