import KMSCore
import Synchronization

/// The pairwise-consistency test FIPS 140-3 requires after each key-pair generation (a
/// conditional self-test): the fresh private key signs a fixed message with its spec's first
/// signing algorithm and its public key must verify the signature; an RSA key must also
/// decrypt what its public key encrypted with RSA-OAEP (SHA-256), because one RSA key serves
/// both uses. ``AsymmetricPrivateKey/generate(_:)`` runs it before it returns a key, so a key
/// that fails is neither used nor stored: CreateKey, rotation and GenerateDataKeyPair fail
/// with `.internalFailure` instead.
package enum PairwiseConsistency {
    /// The message every check signs and encrypts.
    static let message = Array("swift-kms pairwise consistency check".utf8)

    /// The test hook that makes the check fail: inside
    /// `PairwiseConsistency.$injectedFailure.withValue(true) { … }` the signature is changed
    /// before it is verified, as a faulty key or signer would make it. Only tests set it, and
    /// only for the task they run in (RSA keys made on `KeyGeneration`'s Dispatch queue do not
    /// see it).
    @TaskLocal package static var injectedFailure = false

    private static let reporter = Mutex<(@Sendable (String) -> Void)?>(nil)

    /// Sends the message of every failed check to `report` (the server logs it), in place of
    /// the reporter set before. Without a reporter a failure is only the error it throws.
    package static func reportFailures(to report: @escaping @Sendable (String) -> Void) {
        reporter.withLock { $0 = report }
    }

    /// Checks a freshly generated key.
    ///
    /// - Parameter report: Receives the failure message; the reporter set with
    ///   ``reportFailures(to:)`` unless a test passes its own.
    /// - Throws: `.internalFailure` naming the spec and the step that failed.
    package static func check(_ key: AsymmetricPrivateKey, report: (String) -> Void = reportToInstalledReporter) throws(KMSError) {
        guard let failure = firstFailure(of: key) else { return }
        let message = "a new \(key.spec.rawValue) key failed its pairwise-consistency check (\(failure)); it was not used"
        report(message)
        throw KMSError(.internalFailure, message)
    }

    /// Gives `message` to the reporter set with ``reportFailures(to:)``, if any.
    package static func reportToInstalledReporter(_ message: String) {
        reporter.withLock { $0 }?(message)
    }

    /// What failed, or `nil` when the key is consistent.
    private static func firstFailure(of key: AsymmetricPrivateKey) -> String? {
        let publicKey = key.publicKey
        if let algorithm = key.spec.signingAlgorithms.first {
            let input = SigningInput(message, type: .raw)
            guard var signature = try? key.sign(input, algorithm: algorithm) else {
                return "\(algorithm.rawValue) signing failed"
            }
            if injectedFailure, !signature.isEmpty {
                signature[signature.count - 1] ^= 0x01
            }
            guard (try? publicKey.isValidSignature(signature, for: input, algorithm: algorithm)) == true else {
                return "its public key did not verify its \(algorithm.rawValue) signature"
            }
        }
        if let algorithm = key.spec.encryptionAlgorithms.first {
            let plaintext = SecretBytes(copying: message)
            guard let ciphertext = try? publicKey.encrypt(plaintext, algorithm: algorithm),
                  let decrypted = try? key.decrypt(ciphertext, algorithm: algorithm),
                  decrypted == plaintext
            else {
                return "it did not decrypt what its public key encrypted with \(algorithm.rawValue)"
            }
        }
        return nil
    }
}
