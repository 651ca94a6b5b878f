import KMSCore
import KMSCrypto
import Testing

/// RSA-OAEP through ``AsymmetricPublicKey/encrypt(_:algorithm:)`` and
/// ``AsymmetricPrivateKey/decrypt(_:algorithm:)``: round trips up to the exact plaintext
/// limit of each key size and hash, and `.invalidCiphertext` for anything changed.
@Suite struct RSAEncryptionTests {
    /// The longest OAEP plaintext, k − 2·hLen − 2 (RFC 8017 §7.1.1), written out by hand.
    static let limits: [(KeySpec, EncryptionAlgorithm, Int)] = [
        (.rsa2048, .rsaesOAEPSHA256, 190), (.rsa3072, .rsaesOAEPSHA256, 318), (.rsa4096, .rsaesOAEPSHA256, 446),
        (.rsa2048, .rsaesOAEPSHA1, 214), (.rsa3072, .rsaesOAEPSHA1, 342), (.rsa4096, .rsaesOAEPSHA1, 470),
    ]

    @Test(arguments: limits)
    func plaintextsUpToTheLimitRoundTripAndOneMoreIsValidation(spec: KeySpec, algorithm: EncryptionAlgorithm, limit: Int) throws {
        let bits = try #require(spec.rsaBitCount)
        #expect(algorithm.maxPlaintextByteCount(rsaBitCount: bits) == limit)
        let key = try SharedKeys.key(spec)
        for count in [1, limit] {
            let plaintext = SecretBytes.random(count: count)
            let ciphertext = try key.publicKey.encrypt(plaintext, algorithm: algorithm)
            #expect(ciphertext.count == bits / 8, "\(count) bytes")
            #expect(try key.decrypt(ciphertext, algorithm: algorithm) == plaintext, "\(count) bytes")
        }
        for count in [0, limit + 1] {
            #expect(throws: KMSError(.validation, ""), "\(count) bytes") {
                try key.publicKey.encrypt(.random(count: count), algorithm: algorithm)
            }
        }
    }

    @Test(arguments: [EncryptionAlgorithm.rsaesOAEPSHA256, .rsaesOAEPSHA1])
    func aChangedCiphertextHashOrKeyIsInvalidCiphertext(algorithm: EncryptionAlgorithm) throws {
        let key = try SharedKeys.key(.rsa2048)
        let plaintext = SecretBytes(copying: Array("attack at dawn".utf8))
        let ciphertext = try key.publicKey.encrypt(plaintext, algorithm: algorithm)
        #expect(try key.publicKey.encrypt(plaintext, algorithm: algorithm) != ciphertext, "OAEP is randomised")

        for index in [0, 1, ciphertext.count / 2, ciphertext.count - 1] {
            var changed = ciphertext
            changed[index] ^= 0x01
            #expect(throws: KMSError(.invalidCiphertext, ""), "byte \(index)") { try key.decrypt(changed, algorithm: algorithm) }
        }
        for wrongLength in [[], Array(ciphertext.dropLast()), Array(ciphertext.dropFirst()), ciphertext + [0x00], [0x00] + ciphertext] {
            #expect(throws: KMSError(.invalidCiphertext, ""), "\(wrongLength.count) bytes") {
                try key.decrypt(wrongLength, algorithm: algorithm)
            }
        }
        let otherHash: EncryptionAlgorithm = algorithm == .rsaesOAEPSHA256 ? .rsaesOAEPSHA1 : .rsaesOAEPSHA256
        #expect(throws: KMSError(.invalidCiphertext, "")) { try key.decrypt(ciphertext, algorithm: otherHash) }
        #expect(throws: KMSError(.invalidCiphertext, "")) { try SharedKeys.otherRSA2048().decrypt(ciphertext, algorithm: algorithm) }
        #expect(try key.decrypt(ciphertext, algorithm: algorithm) == plaintext)
    }

    /// A ciphertext made under a key read back from its SubjectPublicKeyInfo, as a client
    /// encrypting offline would, decrypts under a private key read back from PKCS#8.
    @Test func aClientHoldingOnlyThePublicKeyEncryptsForTheStoredPrivateKey() throws {
        let key = try SharedKeys.key(.rsa2048)
        let client = try AsymmetricPublicKey(subjectPublicKeyInfo: key.publicKey.subjectPublicKeyInfo, spec: .rsa2048)
        let stored = try AsymmetricPrivateKey(pkcs8: key.pkcs8, spec: .rsa2048)
        let plaintext = SecretBytes.random(count: 32)
        #expect(try stored.decrypt(try client.encrypt(plaintext, algorithm: .rsaesOAEPSHA256), algorithm: .rsaesOAEPSHA256) == plaintext)
    }
}
