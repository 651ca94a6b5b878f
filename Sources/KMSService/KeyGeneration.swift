import Dispatch
import KMSCore
import KMSCrypto

/// Makes key material without stalling other requests: RSA key generation takes up to
/// seconds of CPU, and on Swift's cooperative pool (one thread per core) it would hold a
/// thread that every other call needs. RSA keys are therefore made on a Dispatch queue;
/// the other kinds take microseconds and are made in place.
enum KeyGeneration {
    private static let queue = DispatchQueue(label: "swift-kms.key-generation", qos: .userInitiated, attributes: .concurrent)

    /// Fresh material for a new version of a key of `spec`.
    ///
    /// - Throws: `.internalFailure` when the library fails to make a key.
    static func material(for spec: KeySpec) async throws(KMSError) -> VersionMaterial {
        try await offPoolIfSlow(spec) { () throws(KMSError) in try VersionMaterial.generate(for: spec) }
    }

    /// A fresh private key of an asymmetric `spec`.
    ///
    /// - Throws: `.internalFailure` when the library fails to make a key.
    static func privateKey(_ spec: KeySpec) async throws(KMSError) -> AsymmetricPrivateKey {
        try await offPoolIfSlow(spec) { () throws(KMSError) in try AsymmetricPrivateKey.generate(spec) }
    }

    private static func offPoolIfSlow<Value: Sendable>(
        _ spec: KeySpec, _ make: @escaping @Sendable () throws(KMSError) -> Value
    ) async throws(KMSError) -> Value {
        guard spec.rsaBitCount != nil else { return try make() }
        let outcome: Result<Value, KMSError> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(KMSError) {
                    continuation.resume(returning: .success(try make()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try outcome.get()
    }
}
