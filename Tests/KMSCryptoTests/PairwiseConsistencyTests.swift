import KMSCore
@testable import KMSCrypto
import Synchronization
import Testing

/// The pairwise-consistency check after key generation: every fresh asymmetric key passes,
/// and a key that fails is an `.internalFailure` that is reported and never returned.
@Suite struct PairwiseConsistencyTests {
    static let asymmetricSpecs: [KeySpec] = [.eccNistP256, .eccNistP384, .eccNistP521, .ed25519, .rsa2048, .rsa3072, .rsa4096]
    /// The specs cheap enough to generate again in a test (RSA 3072/4096 take seconds in
    /// debug builds); the shared keys cover the others.
    static let quicklyGeneratedSpecs: [KeySpec] = [.eccNistP256, .eccNistP384, .eccNistP521, .ed25519, .rsa2048]

    @Test(arguments: asymmetricSpecs)
    func everyGeneratedKeyPasses(_ spec: KeySpec) throws {
        let key = try SharedKeys.key(spec)
        var reports: [String] = []
        let duration = try ContinuousClock().measure {
            try PairwiseConsistency.check(key) { reports.append($0) }
        }
        print("pairwise-consistency check of a \(spec.rawValue) key: \(duration)")
        #expect(reports.isEmpty)
    }

    /// With the hook, the signature is changed before it is verified: the check throws
    /// `.internalFailure` naming the spec and the step, and reports the same message.
    @Test(arguments: asymmetricSpecs)
    func aKeyWhoseSignatureDoesNotVerifyFailsAndIsReported(_ spec: KeySpec) throws {
        let key = try SharedKeys.key(spec)
        let reports = Mutex<[String]>([])
        let error = PairwiseConsistency.$injectedFailure.withValue(true) {
            #expect(throws: KMSError.self) {
                try PairwiseConsistency.check(key) { message in reports.withLock { $0.append(message) } }
            }
        }
        let algorithm = try #require(spec.signingAlgorithms.first)
        #expect(error?.code == .internalFailure)
        #expect(
            error?.message == "a new \(spec.rawValue) key failed its pairwise-consistency check "
                + "(its public key did not verify its \(algorithm.rawValue) signature); it was not used"
        )
        #expect(reports.withLock { $0 } == [error?.message].compactMap { $0 })
    }

    /// `generate` runs the check: with the hook set it returns no key.
    @Test(arguments: quicklyGeneratedSpecs)
    func generateReturnsNoKeyThatFailsTheCheck(_ spec: KeySpec) throws {
        PairwiseConsistency.$injectedFailure.withValue(true) {
            let error = #expect(throws: KMSError.self) { try AsymmetricPrivateKey.generate(spec) }
            #expect(error?.code == .internalFailure)
            #expect(error?.message.contains("pairwise-consistency") == true)
        }
        // And so does VersionMaterial.generate, which CreateKey and rotation call.
        PairwiseConsistency.$injectedFailure.withValue(true) {
            #expect(throws: KMSError(.internalFailure, "")) { try VersionMaterial.generate(for: spec) }
        }
        #expect(try AsymmetricPrivateKey.generate(spec).spec == spec)
    }

    /// HMAC and AES keys are not key pairs: the hook does not touch them.
    @Test(arguments: [KeySpec.symmetricDefault, .hmac256, .hmac384, .hmac512])
    func symmetricKeysHaveNoPairwiseCheck(_ spec: KeySpec) throws {
        let material = try PairwiseConsistency.$injectedFailure.withValue(true) { () throws -> VersionMaterial in
            try VersionMaterial.generate(for: spec)
        }
        #expect(material.spec == spec)
    }
}
