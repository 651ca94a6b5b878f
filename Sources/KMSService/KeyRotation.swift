import Foundation
import KMSCore
import KMSCrypto
import KMSStorage

extension KeyManagementService {
    /// Turns on automatic rotation (`kms:EnableKeyRotation`): `runDueWork` adds a new
    /// version once the period has passed, then again every period. Enabling it again
    /// replaces the period and counts it from now.
    ///
    /// - Parameters:
    ///   - keyID: A key id or `alias/NAME`.
    ///   - rotationPeriodInDays: 90–2560, or 0 for 365.
    /// - Throws: `.validation`, `.keyNotFound`, `.accessDenied`; `.invalidState` when the
    ///   key is pending deletion or destroyed.
    public func enableKeyRotation(keyID raw: String, rotationPeriodInDays: Int, context: RequestContext) async throws(KMSError) {
        let days = try Validation.days(
            rotationPeriodInDays, field: "rotation_period_in_days",
            allowed: Limits.rotationPeriodDays, defaultDays: Limits.defaultRotationPeriodDays
        )
        let (key, alias) = try await loadKey(named: raw)
        try authorize(.enableKeyRotation, on: key, via: alias, context: context)
        try key.requireRotatable()
        let schedule = RotationSchedule(periodInDays: days, nextRotationDate: clock().adding(days: days))
        // The store refuses a key pending deletion or destroyed, checked in the write's transaction.
        try await commit("enable rotation", context: context) { try await store.setRotation(key.id, schedule) }
        cache.invalidate(key.id)
        logger.info("key rotation enabled", metadata: [
            "key_id": "\(key.id)", "period_days": "\(days)", "principal": "\(context.principal)",
        ])
    }

    /// Turns off automatic rotation (`kms:DisableKeyRotation`). Existing versions stay.
    ///
    /// - Parameter keyID: A key id or `alias/NAME`.
    /// - Throws: `.validation`, `.keyNotFound`, `.accessDenied`.
    public func disableKeyRotation(keyID raw: String, context: RequestContext) async throws(KMSError) {
        let (key, alias) = try await loadKey(named: raw)
        try authorize(.disableKeyRotation, on: key, via: alias, context: context)
        try await commit("disable rotation", context: context) { try await store.setRotation(key.id, nil) }
        cache.invalidate(key.id)
        logger.info("key rotation disabled", metadata: ["key_id": "\(key.id)", "principal": "\(context.principal)"])
    }

    /// The automatic rotation settings of a key (`kms:GetKeyRotationStatus`).
    ///
    /// - Parameter keyID: A key id or `alias/NAME`.
    /// - Returns: The period and next rotation date, or `nil` when rotation is off.
    /// - Throws: `.validation`, `.keyNotFound`, `.accessDenied`.
    public func getKeyRotationStatus(keyID raw: String, context: RequestContext) async throws(KMSError) -> RotationSchedule? {
        let (key, alias) = try await loadKey(named: raw)
        try authorize(.getKeyRotationStatus, on: key, via: alias, context: context)
        return key.metadata.rotation
    }

    /// Adds a new version with fresh material and makes it current (`kms:RotateKeyOnDemand`).
    /// Encrypt and GenerateDataKey use it from then on; every older version still decrypts.
    /// The automatic rotation schedule is unchanged.
    ///
    /// - Parameter keyID: A key id or `alias/NAME`.
    /// - Returns: The key's metadata with the new `currentVersion`.
    /// - Throws: `.validation`, `.keyNotFound`, `.accessDenied`, `.keyDisabled`,
    ///   `.keyPendingDeletion`, `.keyDestroyed`, `.invalidKeyUsage`; `.limitExceeded` when
    ///   the key has run out of version numbers; `.invalidState` when other rotations of
    ///   the key kept winning the race.
    public func rotateKeyOnDemand(keyID raw: String, context: RequestContext) async throws(KMSError) -> KeyMetadata {
        let (named, alias) = try await loadKey(named: raw)
        try authorize(.rotateKeyOnDemand, on: named, via: alias, context: context)
        try named.requireRotatable()
        var key = named
        for _ in 0..<Self.onDemandRotationAttempts {
            try key.requireUsable(for: .encryptDecrypt)
            if try await addNextVersion(
                to: key.metadata, type: .onDemand, now: clock(), dueBy: nil, nextSchedule: nil, audit: context.audit
            ) {
                context.audit.noteVersion(key.metadata.currentVersion + 1, of: key.id)
                logger.info("key rotated on demand", metadata: ["key_id": "\(key.id)", "principal": "\(context.principal)"])
                return try await loadKey(key.id).metadata
            }
            // Another rotation made a version first (perhaps on another node): start from the stored key.
            key = try await loadKey(key.id)
        }
        throw KMSError(.invalidState, "key \(named.id) was rotated concurrently while this rotation was tried; try again")
    }

    /// How often `rotateKeyOnDemand` tries again when a concurrent rotation wins.
    static let onDemandRotationAttempts = 3

    /// Makes version `currentVersion + 1` with fresh material, wrapped under the root key,
    /// and asks the store to make it current if the key's current version is still
    /// `metadata.currentVersion` (and, with `dueBy`, rotation is due by then), once the
    /// intent is recorded in `audit`. Invalidates the key's cache entry either way.
    ///
    /// - Returns: Whether the store added the version; `false` when the condition failed.
    /// - Throws: `.limitExceeded` when no version number is left; `.keyNotFound`;
    ///   `.auditUnavailable` when the intent cannot be recorded.
    func addNextVersion(
        to metadata: KeyMetadata,
        type: RotationType,
        now: Date,
        dueBy: Date?,
        nextSchedule: RotationSchedule?,
        audit: AuditFacts
    ) async throws(KMSError) -> Bool {
        guard metadata.currentVersion < KeyVersion.max else {
            throw KMSError(.limitExceeded, "key \(metadata.keyID) has no version number left")
        }
        let version = metadata.currentVersion + 1
        let wrapped = WrappedKeyVersion(
            keyID: metadata.keyID,
            version: version,
            wrappedMaterial: rootKey.wrap(try await KeyGeneration.material(for: metadata.keySpec), keyID: metadata.keyID, version: version),
            creationDate: now.roundedToMicroseconds,
            rotationType: type
        )
        try await audit.recordIntent()
        let added = try await storage("add key version") {
            try await store.addVersion(wrapped, expectedCurrent: metadata.currentVersion, dueBy: dueBy, nextSchedule: nextSchedule)
        }
        cache.invalidate(metadata.keyID)
        return added
    }
}
