import KMSCore
import KMSCrypto
import KMSService
import Testing

/// CreateKey and GenerateDataKeyPair run the pairwise-consistency check on every fresh key
/// pair: a key that fails it makes the call fail with INTERNAL, and nothing is stored or
/// returned. The test hook reaches the service through the task it runs in, so these use
/// the specs made in place (RSA keys are made on a Dispatch queue; the crypto tests cover
/// RSA generation directly).
@Suite struct PairwiseConsistencyServiceTests {
    static let specs: [KeySpec] = [.eccNistP256, .eccNistP384, .eccNistP521, .ed25519]

    @Test(arguments: specs)
    func createKeyFailsWithInternalAndStoresNothingWhenTheNewKeyFailsTheCheck(_ spec: KeySpec) async throws {
        try await withService { fixture in
            let admin = ServiceFixture.admin
            let before = try await fixture.service.listKeys(pageSize: 0, pageToken: "", context: admin).keys.count
            let failed = await PairwiseConsistency.$injectedFailure.withValue(true) {
                await errorCode { try await fixture.service.createKey(CreateKeyRequest(keySpec: spec), context: admin) }
            }
            #expect(failed == .internalFailure)
            #expect(try await fixture.service.listKeys(pageSize: 0, pageToken: "", context: admin).keys.count == before)

            let created = try await fixture.service.createKey(CreateKeyRequest(keySpec: spec), context: admin)
            #expect(created.keySpec == spec)
        }
    }

    @Test(arguments: specs)
    func generateDataKeyPairFailsWithInternalWhenTheNewKeyFailsTheCheck(_ spec: KeySpec) async throws {
        let pairSpec = try #require(DataKeyPairSpec.allCases.first { $0.keySpec == spec })
        try await withService { fixture in
            let keyID = try await fixture.createKey().description
            let request = GenerateDataKeyPairRequest(keyID: keyID, keyPairSpec: pairSpec)
            for withPlaintext in [true, false] {
                let failed = await PairwiseConsistency.$injectedFailure.withValue(true) {
                    await errorCode {
                        withPlaintext
                            ? try await fixture.service.generateDataKeyPair(request, context: ServiceFixture.admin)
                            : try await fixture.service.generateDataKeyPairWithoutPlaintext(request, context: ServiceFixture.admin)
                    }
                }
                #expect(failed == .internalFailure, "with plaintext: \(withPlaintext)")
            }
            let pair = try await fixture.service.generateDataKeyPair(request, context: ServiceFixture.admin)
            #expect(try AsymmetricPublicKey(subjectPublicKeyInfo: pair.publicKey, spec: spec).spec == spec)
        }
    }
}
