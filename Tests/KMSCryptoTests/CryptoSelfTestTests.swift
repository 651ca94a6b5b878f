import Foundation
import KMSCore
@testable import KMSCrypto
import Testing

/// The start-up known-answer tests: each passes, a wrong vector fails naming its primitive,
/// the embedded vectors are the published ones, and the whole run is fast.
@Suite struct CryptoSelfTestTests {
    @Test func everyKnownAnswerTestPassesInOrder() throws {
        #expect(try CryptoSelfTest.run() == CryptoSelfTest.Primitive.allCases)
    }

    @Test(arguments: CryptoSelfTest.Primitive.allCases)
    func eachKnownAnswerTestPasses(_ primitive: CryptoSelfTest.Primitive) throws {
        try CryptoSelfTest.run(primitive)
    }

    /// A vector with one bit of its expected output flipped, as a broken primitive would
    /// answer, fails that primitive's test and only that one, and `run()` names it.
    @Test(arguments: CryptoSelfTest.Primitive.allCases)
    func aWrongVectorFailsNamingItsPrimitive(_ primitive: CryptoSelfTest.Primitive) throws {
        CryptoSelfTest.$corruptedVector.withValue(primitive) {
            let failure = #expect(throws: CryptoSelfTest.Failure.self) { try CryptoSelfTest.run() }
            #expect(failure?.primitive == primitive)
            #expect(failure?.description.hasPrefix("\(primitive.rawValue) known-answer test failed: ") == true, "\(String(describing: failure))")
            for other in CryptoSelfTest.Primitive.allCases where other != primitive {
                #expect(throws: Never.self, "\(other)") { try CryptoSelfTest.run(other) }
            }
        }
    }

    /// Run 20 times after a warm-up; the report quotes the median. Debug builds included, it
    /// must stay well under a second (it is a few milliseconds).
    @Test func theWholeRunTakesMilliseconds() throws {
        try CryptoSelfTest.run()
        let clock = ContinuousClock()
        var durations: [Duration] = []
        for _ in 0..<20 {
            durations.append(try clock.measure { try CryptoSelfTest.run() })
        }
        durations.sort()
        let median = durations[durations.count / 2]
        print("CryptoSelfTest.run(): median \(median), slowest \(durations.last!) over \(durations.count) runs")
        #expect(median < .milliseconds(250))
        for primitive in CryptoSelfTest.Primitive.allCases {
            let each = try clock.measure { try CryptoSelfTest.run(primitive) }
            print("  \(primitive.rawValue): \(each)")
        }
    }

    // MARK: - The embedded vectors are the published ones

    struct AESGCMGroup: Decodable {
        struct Vector: Decodable {
            let tcId: Int, key: HexBytes, iv: HexBytes, aad: HexBytes, msg: HexBytes, ct: HexBytes, tag: HexBytes
        }
        let tests: [Vector]
    }

    struct HKDFGroup: Decodable {
        struct Vector: Decodable {
            let tcId: Int, ikm: HexBytes, salt: HexBytes, info: HexBytes, okm: HexBytes
        }
        let tests: [Vector]
    }

    struct SignatureGroup: Decodable {
        struct Vector: Decodable {
            let tcId: Int, msg: HexBytes, sig: HexBytes, result: WycheproofResult
        }
        let publicKeyDer: HexBytes
        let tests: [Vector]
    }

    static func vector<Group: Decodable, Vector>(
        _ file: String, _ tcId: Int, tests: KeyPath<Group, [Vector]>, id: KeyPath<Vector, Int>
    ) throws -> (Group, Vector) {
        for group in try WycheproofFile<Group>.load(file).testGroups {
            if let found = group[keyPath: tests].first(where: { $0[keyPath: id] == tcId }) { return (group, found) }
        }
        throw MissingWycheproofFile(name: "\(file) tcId \(tcId)")
    }

    @Test func theAESGCMAndHKDFVectorsAreWycheproofs() throws {
        let (_, aes) = try Self.vector("aes_gcm_test", 91, tests: \AESGCMGroup.tests, id: \.tcId)
        let embedded = SelfTestVectors.AESGCM256.self
        #expect(embedded.key == aes.key.bytes)
        #expect(embedded.nonce == aes.iv.bytes)
        #expect(embedded.aad == aes.aad.bytes)
        #expect(embedded.plaintext == aes.msg.bytes)
        #expect(embedded.ciphertextAndTag == aes.ct.bytes + aes.tag.bytes)

        let (_, hkdf) = try Self.vector("hkdf_sha256_test", 1, tests: \HKDFGroup.tests, id: \.tcId)
        #expect(SelfTestVectors.HKDF.inputKeyMaterial == hkdf.ikm.bytes)
        #expect(SelfTestVectors.HKDF.salt == hkdf.salt.bytes)
        #expect(SelfTestVectors.HKDF.info == hkdf.info.bytes)
        #expect(SelfTestVectors.HKDF.outputKeyMaterial == hkdf.okm.bytes)
    }

    static let signatureVectors: [(file: String, subjectPublicKeyInfo: [UInt8], message: [UInt8], signature: [UInt8])] = [
        ("ecdsa_secp256r1_sha256_test", SelfTestVectors.ECDSAP256.subjectPublicKeyInfo, SelfTestVectors.ECDSAP256.message, SelfTestVectors.ECDSAP256.signature),
        ("ecdsa_secp384r1_sha384_test", SelfTestVectors.ECDSAP384.subjectPublicKeyInfo, SelfTestVectors.ECDSAP384.message, SelfTestVectors.ECDSAP384.signature),
        ("ed25519_test", SelfTestVectors.Ed25519.subjectPublicKeyInfo, SelfTestVectors.Ed25519.message, SelfTestVectors.Ed25519.signature),
        ("rsa_pss_2048_sha256_mgf1_32_test", SelfTestVectors.rsa2048SubjectPublicKeyInfo, SelfTestVectors.RSAPSS.message, SelfTestVectors.RSAPSS.signature),
        ("rsa_signature_2048_sha256_test", SelfTestVectors.rsa2048SubjectPublicKeyInfo, SelfTestVectors.RSAPKCS1.message, SelfTestVectors.RSAPKCS1.signature),
    ]

    @Test(arguments: signatureVectors.indices)
    func theSignatureVectorsAreWycheproofsTcId3(_ index: Int) throws {
        let embedded = Self.signatureVectors[index]
        let (group, vector) = try Self.vector(embedded.file, 3, tests: \SignatureGroup.tests, id: \.tcId)
        #expect(vector.result == .valid)
        #expect(embedded.subjectPublicKeyInfo == group.publicKeyDer.bytes, "\(embedded.file)")
        #expect(embedded.message == vector.msg.bytes, "\(embedded.file)")
        #expect(embedded.signature == vector.sig.bytes, "\(embedded.file)")
    }

    /// The OAEP vector's private key (from a Wycheproof file not in `Resources`) is the key of
    /// the RSA signature files: its public half is their SubjectPublicKeyInfo.
    @Test func theOAEPKeyIsTheRSASignatureFilesKey() throws {
        let key = try AsymmetricPrivateKey(pkcs8: SecretBytes(copying: SelfTestVectors.RSAOAEP.privateKeyPKCS8), spec: .rsa2048)
        #expect(key.publicKey.subjectPublicKeyInfo == SelfTestVectors.rsa2048SubjectPublicKeyInfo)
        #expect(SelfTestVectors.RSAOAEP.plaintext == Array("123400".utf8))
    }

    /// RFC 4231 test case 2 is HMAC over "what do ya want for nothing?" with key "Jefe".
    @Test func theHMACVectorIsRFC4231TestCase2() {
        #expect(SelfTestVectors.HMAC.key == Array("Jefe".utf8))
        #expect(SelfTestVectors.HMAC.message == Array("what do ya want for nothing?".utf8))
        #expect(SelfTestVectors.HMAC.sha256.count == 32)
        #expect(SelfTestVectors.HMAC.sha384.count == 48)
        #expect(SelfTestVectors.HMAC.sha512.count == 64)
    }

    /// RFC 8032 section 7.1 TEST 1: a 32-byte seed, its public key, and the 64-byte signature
    /// of the empty message.
    @Test func theEd25519SigningVectorIsRFC8032Test1() {
        #expect(SelfTestVectors.Ed25519Sign.seed.count == 32)
        #expect(SelfTestVectors.Ed25519Sign.publicKey.count == 32)
        #expect(SelfTestVectors.Ed25519Sign.message.isEmpty)
        #expect(SelfTestVectors.Ed25519Sign.signature.count == 64)
    }

    @Test func failuresPrintThePrimitiveAndTheReason() {
        let failure = CryptoSelfTest.Failure(primitive: .rsaOAEPDecrypt, reason: "the plaintext differs from the vector's")
        #expect("\(failure)" == "RSAES-OAEP SHA-256 decrypt known-answer test failed: the plaintext differs from the vector's")
    }
}
