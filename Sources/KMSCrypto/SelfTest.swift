import Crypto
import KMSCore

/// Known-answer tests of every cryptographic primitive the server uses, run before it serves,
/// as FIPS 140-3 modules run their pre-operational self-tests: `kmsd` runs ``run()`` once at
/// start-up, before it opens anything, and refuses to start when a test fails.
///
/// Each test runs the primitive through the wrapper the server itself calls (``AESGCM``,
/// ``HKDFSHA256``, ``MACKey``, ``AsymmetricPublicKey``, ``AsymmetricPrivateKey``) on a fixed
/// published vector (``SelfTestVectors`` names the source of each) and compares the output with
/// the vector's. A decryption or verification test also checks that a changed input is
/// refused, so a primitive that accepts everything fails too. No key is generated: the RSA
/// tests use the vectors' 2048-bit key. Ed25519 and RSA PKCS#1 v1.5 signing, which are
/// deterministic, are tested against known signatures; ECDSA and RSA-PSS signing, whose
/// outputs are randomised, are covered by the pairwise-consistency check after every key
/// generation (``PairwiseConsistency``).
public enum CryptoSelfTest {
    /// A primitive with a known-answer test; the raw value names it in messages.
    public enum Primitive: String, CaseIterable, Sendable, CustomStringConvertible {
        case aes256GCMEncrypt = "AES-256-GCM encrypt"
        case aes256GCMDecrypt = "AES-256-GCM decrypt"
        case hkdfSHA256 = "HKDF-SHA256"
        case hmacSHA256 = "HMAC-SHA-256"
        case hmacSHA384 = "HMAC-SHA-384"
        case hmacSHA512 = "HMAC-SHA-512"
        case ecdsaP256Verify = "ECDSA P-256 SHA-256 verify"
        case ecdsaP384Verify = "ECDSA P-384 SHA-384 verify"
        case ecdsaP521Verify = "ECDSA P-521 SHA-512 verify"
        case ed25519Verify = "Ed25519 verify"
        case ed25519Sign = "Ed25519 sign"
        case rsaPSSVerify = "RSASSA-PSS SHA-256 verify"
        case rsaPKCS1v15Verify = "RSASSA-PKCS1-v1_5 SHA-256 verify"
        case rsaPKCS1v15Sign = "RSASSA-PKCS1-v1_5 SHA-256 sign"
        case rsaOAEPDecrypt = "RSAES-OAEP SHA-256 decrypt"

        public var description: String { rawValue }
    }

    /// A known-answer test that failed: the primitive and what went wrong.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The primitive whose test failed.
        public let primitive: Primitive
        /// What differed from the vector.
        public let reason: String

        /// `<primitive> known-answer test failed: <reason>`.
        public var description: String { "\(primitive.rawValue) known-answer test failed: \(reason)" }
    }

    /// The test hook that makes a known-answer test fail: inside
    /// `CryptoSelfTest.$corruptedVector.withValue(primitive) { … }` the expected output of that
    /// primitive's vector has one bit flipped, as a broken primitive would make it. Only tests
    /// set it, and only for the task they run in.
    @TaskLocal package static var corruptedVector: Primitive?

    /// Runs every known-answer test, in the order of ``Primitive/allCases``.
    ///
    /// - Returns: The primitives tested.
    /// - Throws: ``Failure`` naming the first primitive whose test failed.
    @discardableResult
    public static func run() throws(Failure) -> [Primitive] {
        for primitive in Primitive.allCases {
            try run(primitive)
        }
        return Primitive.allCases
    }

    /// Runs the known-answer test of one primitive.
    ///
    /// - Throws: ``Failure`` when its output differs from the vector's.
    package static func run(_ primitive: Primitive) throws(Failure) {
        let test = KnownAnswerTest(primitive: primitive)
        switch primitive {
        case .aes256GCMEncrypt: try test.aesGCMEncrypt()
        case .aes256GCMDecrypt: try test.aesGCMDecrypt()
        case .hkdfSHA256: try test.hkdf()
        case .hmacSHA256: try test.hmac(.hmac256, .hmacSHA256, tag: SelfTestVectors.HMAC.sha256)
        case .hmacSHA384: try test.hmac(.hmac384, .hmacSHA384, tag: SelfTestVectors.HMAC.sha384)
        case .hmacSHA512: try test.hmac(.hmac512, .hmacSHA512, tag: SelfTestVectors.HMAC.sha512)
        case .ecdsaP256Verify:
            let vector = SelfTestVectors.ECDSAP256.self
            try test.verify(vector.subjectPublicKeyInfo, .eccNistP256, .ecdsaSHA256, vector.message, vector.signature)
        case .ecdsaP384Verify:
            let vector = SelfTestVectors.ECDSAP384.self
            try test.verify(vector.subjectPublicKeyInfo, .eccNistP384, .ecdsaSHA384, vector.message, vector.signature)
        case .ecdsaP521Verify:
            let vector = SelfTestVectors.ECDSAP521.self
            try test.verify(vector.subjectPublicKeyInfo, .eccNistP521, .ecdsaSHA512, vector.message, vector.signature)
        case .ed25519Verify:
            let vector = SelfTestVectors.Ed25519.self
            try test.verify(vector.subjectPublicKeyInfo, .ed25519, .ed25519, vector.message, vector.signature)
        case .ed25519Sign:
            let vector = SelfTestVectors.Ed25519Sign.self
            try test.sign(
                pkcs8: Ed25519Encoding.privateKeyHeader + vector.seed, .ed25519, .ed25519, vector.message, vector.signature,
                subjectPublicKeyInfo: Ed25519Encoding.subjectPublicKeyInfo(rawPublicKey: vector.publicKey)
            )
        case .rsaPSSVerify:
            let vector = SelfTestVectors.RSAPSS.self
            try test.verify(
                SelfTestVectors.rsa2048SubjectPublicKeyInfo, .rsa2048, .rsassaPSSSHA256, vector.message, vector.signature
            )
        case .rsaPKCS1v15Verify:
            let vector = SelfTestVectors.RSAPKCS1.self
            try test.verify(
                SelfTestVectors.rsa2048SubjectPublicKeyInfo, .rsa2048, .rsassaPKCS1V15SHA256, vector.message, vector.signature
            )
        case .rsaPKCS1v15Sign:
            let vector = SelfTestVectors.RSAPKCS1.self
            try test.sign(
                pkcs8: SelfTestVectors.RSAOAEP.privateKeyPKCS8, .rsa2048, .rsassaPKCS1V15SHA256, vector.message, vector.signature,
                subjectPublicKeyInfo: SelfTestVectors.rsa2048SubjectPublicKeyInfo
            )
        case .rsaOAEPDecrypt: try test.rsaOAEPDecrypt()
        }
    }
}

/// The known-answer test of one primitive.
private struct KnownAnswerTest {
    let primitive: CryptoSelfTest.Primitive

    /// The vector's expected output, with its last bit flipped when a test corrupts this
    /// primitive's vector (``CryptoSelfTest/corruptedVector``).
    func expected(_ bytes: [UInt8]) -> [UInt8] {
        guard CryptoSelfTest.corruptedVector == primitive, !bytes.isEmpty else { return bytes }
        var corrupted = bytes
        corrupted[corrupted.count - 1] ^= 0x01
        return corrupted
    }

    func require(_ condition: Bool, _ reason: @autoclosure () -> String) throws(CryptoSelfTest.Failure) {
        guard condition else { throw CryptoSelfTest.Failure(primitive: primitive, reason: reason()) }
    }

    func aesGCMEncrypt() throws(CryptoSelfTest.Failure) {
        let vector = SelfTestVectors.AESGCM256.self
        let sealed = AESGCM.seal(vector.plaintext, key: SymmetricKey(data: vector.key), nonce: vector.nonce, authenticating: vector.aad)
        try require(sealed == expected(vector.ciphertextAndTag), "the ciphertext and tag differ from the vector's")
    }

    func aesGCMDecrypt() throws(CryptoSelfTest.Failure) {
        let vector = SelfTestVectors.AESGCM256.self
        let key = SymmetricKey(data: vector.key)
        let opened = AESGCM.open(vector.ciphertextAndTag, key: key, nonce: vector.nonce, authenticating: vector.aad)
        try require(opened != nil, "the vector's ciphertext did not decrypt")
        try require(opened == SecretBytes(copying: expected(vector.plaintext)), "the plaintext differs from the vector's")
        var changed = vector.ciphertextAndTag
        changed[changed.count - 1] ^= 0x01
        try require(
            AESGCM.open(changed, key: key, nonce: vector.nonce, authenticating: vector.aad) == nil,
            "a ciphertext with a changed tag decrypted"
        )
    }

    func hkdf() throws(CryptoSelfTest.Failure) {
        let vector = SelfTestVectors.HKDF.self
        let derived: SymmetricKey
        do {
            derived = try HKDFSHA256.deriveKey(
                inputKeyMaterial: SymmetricKey(data: vector.inputKeyMaterial), salt: vector.salt, info: vector.info,
                outputByteCount: vector.outputKeyMaterial.count
            )
        } catch {
            throw CryptoSelfTest.Failure(primitive: primitive, reason: error.message)
        }
        try require(derived == SymmetricKey(data: expected(vector.outputKeyMaterial)), "the output key material differs from the vector's")
    }

    func hmac(_ spec: KeySpec, _ algorithm: MACAlgorithm, tag: [UInt8]) throws(CryptoSelfTest.Failure) {
        let vector = SelfTestVectors.HMAC.self
        let key = MACKey(secret: SecretBytes(copying: vector.key), spec: spec)
        do {
            try require(try key.mac(for: vector.message, algorithm: algorithm) == expected(tag), "the tag differs from the vector's")
            try require(try key.isValid(tag, for: vector.message, algorithm: algorithm), "the vector's tag did not verify")
            try require(!(try key.isValid(tag, for: vector.message + [0x00], algorithm: algorithm)), "a tag verified for another message")
        } catch let failure as CryptoSelfTest.Failure {
            throw failure
        } catch {
            throw CryptoSelfTest.Failure(primitive: primitive, reason: "\(error)")
        }
    }

    func verify(
        _ subjectPublicKeyInfo: [UInt8], _ spec: KeySpec, _ algorithm: SigningAlgorithm, _ message: [UInt8], _ signature: [UInt8]
    ) throws(CryptoSelfTest.Failure) {
        do {
            let key = try AsymmetricPublicKey(subjectPublicKeyInfo: subjectPublicKeyInfo, spec: spec)
            let valid = try key.isValidSignature(expected(signature), for: SigningInput(message, type: .raw), algorithm: algorithm)
            try require(valid, "the vector's signature did not verify")
            let forged = try key.isValidSignature(signature, for: SigningInput(message + [0x00], type: .raw), algorithm: algorithm)
            try require(!forged, "the vector's signature verified for another message")
        } catch let failure as CryptoSelfTest.Failure {
            throw failure
        } catch {
            throw CryptoSelfTest.Failure(primitive: primitive, reason: "\(error)")
        }
    }

    /// Signs with a deterministic algorithm and compares with the vector's signature; the
    /// key's public half must be the vector's.
    func sign(
        pkcs8: [UInt8], _ spec: KeySpec, _ algorithm: SigningAlgorithm, _ message: [UInt8], _ signature: [UInt8],
        subjectPublicKeyInfo: [UInt8]
    ) throws(CryptoSelfTest.Failure) {
        do {
            let key = try AsymmetricPrivateKey(pkcs8: SecretBytes(copying: pkcs8), spec: spec)
            try require(key.publicKey.subjectPublicKeyInfo == subjectPublicKeyInfo, "the vector's private key has another public key")
            let made = try key.sign(SigningInput(message, type: .raw), algorithm: algorithm)
            try require(made == expected(signature), "the signature differs from the vector's")
        } catch let failure as CryptoSelfTest.Failure {
            throw failure
        } catch {
            throw CryptoSelfTest.Failure(primitive: primitive, reason: "\(error)")
        }
    }

    func rsaOAEPDecrypt() throws(CryptoSelfTest.Failure) {
        let vector = SelfTestVectors.RSAOAEP.self
        do {
            let key = try AsymmetricPrivateKey(pkcs8: SecretBytes(copying: vector.privateKeyPKCS8), spec: .rsa2048)
            let plaintext = try key.decrypt(vector.ciphertext, algorithm: .rsaesOAEPSHA256)
            try require(plaintext == SecretBytes(copying: expected(vector.plaintext)), "the plaintext differs from the vector's")
            var changed = vector.ciphertext
            changed[changed.count - 1] ^= 0x01
            try require((try? key.decrypt(changed, algorithm: .rsaesOAEPSHA256)) == nil, "a changed ciphertext decrypted")
        } catch let failure as CryptoSelfTest.Failure {
            throw failure
        } catch {
            throw CryptoSelfTest.Failure(primitive: primitive, reason: "\(error)")
        }
    }
}
