import KMSCore
import KMSCrypto

/// A MAC tag and the key version that made it.
public struct GenerateMACResult: Sendable {
    /// The full-length tag.
    public let mac: [UInt8]
    public let keyID: KeyID
    public let keyVersion: KeyVersion
}

extension KeyManagementService {
    /// The HMAC of a message under a GENERATE_VERIFY_MAC key (`kms:GenerateMac`).
    ///
    /// - Throws: `.validation` for an empty or oversized message; `.invalidKeyUsage` when
    ///   the key is not GENERATE_VERIFY_MAC or the algorithm is not its spec's;
    ///   `.keyNotFound`, `.accessDenied`, `.keyDisabled`, `.keyPendingDeletion`, `.keyDestroyed`.
    public func generateMac(
        keyID raw: String, message: [UInt8], algorithm: MACAlgorithm, context: RequestContext
    ) async throws(KMSError) -> GenerateMACResult {
        try Validation.macMessage(message)
        let (key, alias) = try await loadKey(named: raw)
        try authorize(.generateMac, on: key, via: alias, context: context)
        let (macKey, version) = try await macKey(of: key, audit: context.audit)
        return GenerateMACResult(mac: try macKey.mac(for: message, algorithm: algorithm), keyID: key.id, keyVersion: version)
    }

    /// Whether `mac` is the HMAC of `message` under the key (`kms:VerifyMac`), compared in
    /// constant time. A wrong tag is `false`, not an error.
    ///
    /// - Throws: the errors of `generateMac`; `.validation` for a tag that is not full length.
    public func verifyMac(
        keyID raw: String, message: [UInt8], mac: [UInt8], algorithm: MACAlgorithm, context: RequestContext
    ) async throws(KMSError) -> VerificationResult {
        try Validation.macMessage(message)
        let (key, alias) = try await loadKey(named: raw)
        try authorize(.verifyMac, on: key, via: alias, context: context)
        let (macKey, _) = try await macKey(of: key, audit: context.audit)
        return VerificationResult(isValid: try macKey.isValid(mac, for: message, algorithm: algorithm), keyID: key.id)
    }

    /// The HMAC key of the current version of a usable GENERATE_VERIFY_MAC key, noted for the audit.
    private func macKey(of key: CachedKey, audit: AuditFacts) async throws(KMSError) -> (MACKey, KeyVersion) {
        try key.requireUsable(for: .generateVerifyMAC)
        let version = key.metadata.currentVersion
        audit.noteVersion(version, of: key.id)
        return (try await material(of: key, version: version).macKey(), version)
    }
}
