import Crypto
import KMSCore
import KMSCrypto
import Testing

/// Signing and verifying with ``AsymmetricPrivateKey`` and ``AsymmetricPublicKey`` for every
/// asymmetric spec: round trips in RAW and DIGEST mode, tampering, PKCS#8 and
/// SubjectPublicKeyInfo round trips, and the errors for algorithms and inputs a spec does not take.
@Suite struct AsymmetricKeyTests {
    static let specs = KeySpec.allCases.filter(\.isAsymmetric)
    static let message = Array("a message of no particular length".utf8)

    /// Every (spec, algorithm) pair whose algorithm hashes: ECDSA, RSA-PSS and RSA PKCS#1 v1.5.
    static let hashingPairs: [(KeySpec, SigningAlgorithm)] = specs.flatMap { spec in
        spec.signingAlgorithms.filter { $0.digestAlgorithm != nil }.map { (spec, $0) }
    }

    /// `message` hashed with swift-crypto directly, not through the code under test.
    static func hash(_ message: [UInt8], with hash: DigestAlgorithm) -> [UInt8] {
        switch hash {
        case .sha256: Array(SHA256.hash(data: message))
        case .sha384: Array(SHA384.hash(data: message))
        case .sha512: Array(SHA512.hash(data: message))
        }
    }

    /// The RAW input, and the DIGEST input of the same message when the algorithm hashes.
    static func inputs(for algorithm: SigningAlgorithm) -> [SigningInput] {
        var inputs = [SigningInput(message, type: .raw)]
        if let digest = algorithm.digestAlgorithm {
            inputs.append(SigningInput(hash(message, with: digest), type: .digest))
        }
        return inputs
    }

    /// The length of every signature of the spec, where it is fixed (not DER-encoded ECDSA).
    static func fixedSignatureLength(_ spec: KeySpec) -> Int? {
        if spec == .ed25519 { return 64 }
        return spec.rsaBitCount.map { $0 / 8 }
    }

    @Test(arguments: specs)
    func signaturesVerifyAndOneChangedByteBreaksThem(spec: KeySpec) throws {
        let key = try SharedKeys.key(spec)
        #expect(key.spec == spec)
        #expect(key.publicKey.spec == spec)
        let publicKey = key.publicKey
        for algorithm in spec.signingAlgorithms {
            for input in Self.inputs(for: algorithm) {
                let label: Comment = "\(algorithm.rawValue) \(input.type.rawValue)"
                let signature = try key.sign(input, algorithm: algorithm)
                if let length = Self.fixedSignatureLength(spec) {
                    #expect(signature.count == length, label)
                }
                #expect(try publicKey.isValidSignature(signature, for: input, algorithm: algorithm), label)

                for index in [0, input.bytes.count / 2, input.bytes.count - 1] {
                    var changed = input.bytes
                    changed[index] ^= 0x01
                    let changedInput = SigningInput(changed, type: input.type)
                    #expect(try !publicKey.isValidSignature(signature, for: changedInput, algorithm: algorithm), "\(label), message byte \(index)")
                }
                for index in [0, signature.count / 2, signature.count - 1] {
                    var changed = signature
                    changed[index] ^= 0x01
                    #expect(try !publicKey.isValidSignature(changed, for: input, algorithm: algorithm), "\(label), signature byte \(index)")
                }
                #expect(try !publicKey.isValidSignature(Array(signature.dropLast()), for: input, algorithm: algorithm), label)
                #expect(try !publicKey.isValidSignature([], for: input, algorithm: algorithm), label)
            }
        }
    }

    /// A DIGEST input is read as the digest of the algorithm's hash: signing H(m) as DIGEST
    /// verifies against m as RAW and the other way round, and swift-crypto's own ECDSA
    /// verification over m accepts it. PKCS#1 v1.5 is deterministic, so both modes make
    /// the same bytes.
    @Test(arguments: hashingPairs)
    func aDigestSignsWhatHashingTheMessageSigns(spec: KeySpec, algorithm: SigningAlgorithm) throws {
        let key = try SharedKeys.key(spec)
        let hashFunction = try #require(algorithm.digestAlgorithm)
        let raw = SigningInput(Self.message, type: .raw)
        let digest = SigningInput(Self.hash(Self.message, with: hashFunction), type: .digest)

        let signedDigest = try key.sign(digest, algorithm: algorithm)
        #expect(try key.publicKey.isValidSignature(signedDigest, for: raw, algorithm: algorithm))
        let signedMessage = try key.sign(raw, algorithm: algorithm)
        #expect(try key.publicKey.isValidSignature(signedMessage, for: digest, algorithm: algorithm))

        let spki = key.publicKey.subjectPublicKeyInfo
        switch algorithm {
        case .ecdsaSHA256:
            let signature = try P256.Signing.ECDSASignature(derRepresentation: signedDigest)
            #expect(try P256.Signing.PublicKey(derRepresentation: spki).isValidSignature(signature, for: Self.message))
        case .ecdsaSHA384:
            let signature = try P384.Signing.ECDSASignature(derRepresentation: signedDigest)
            #expect(try P384.Signing.PublicKey(derRepresentation: spki).isValidSignature(signature, for: Self.message))
        case .ecdsaSHA512:
            let signature = try P521.Signing.ECDSASignature(derRepresentation: signedDigest)
            #expect(try P521.Signing.PublicKey(derRepresentation: spki).isValidSignature(signature, for: Self.message))
        case .rsassaPKCS1V15SHA256, .rsassaPKCS1V15SHA384, .rsassaPKCS1V15SHA512:
            #expect(signedDigest == signedMessage)
        case .rsassaPSSSHA256, .rsassaPSSSHA384, .rsassaPSSSHA512, .ed25519:
            break
        }
    }

    @Test(arguments: specs)
    func aPKCS8RoundTripGivesAKeyThatSignsForTheSamePublicKey(spec: KeySpec) throws {
        let key = try SharedKeys.key(spec)
        let restored = try AsymmetricPrivateKey(pkcs8: key.pkcs8, spec: spec)
        #expect(restored.spec == spec)
        #expect(restored.pkcs8 == key.pkcs8)
        #expect(restored.publicKey.subjectPublicKeyInfo == key.publicKey.subjectPublicKeyInfo)
        let algorithm = spec.signingAlgorithms[0]
        let input = SigningInput(Self.message, type: .raw)
        #expect(try key.publicKey.isValidSignature(try restored.sign(input, algorithm: algorithm), for: input, algorithm: algorithm))

        for other in KeySpec.allCases where other != spec {
            #expect(throws: KMSError(.internalFailure, ""), "read as \(other.rawValue)") {
                try AsymmetricPrivateKey(pkcs8: key.pkcs8, spec: other)
            }
        }
        let truncated = key.pkcs8.withUnsafeBytes { SecretBytes(copying: $0.dropLast()) }
        #expect(throws: KMSError(.internalFailure, "")) { try AsymmetricPrivateKey(pkcs8: truncated, spec: spec) }
        #expect(throws: KMSError(.internalFailure, "")) { try AsymmetricPrivateKey(pkcs8: SecretBytes(copying: []), spec: spec) }
    }

    @Test(arguments: specs)
    func aSubjectPublicKeyInfoRoundTripGivesTheSameKey(spec: KeySpec) throws {
        let key = try SharedKeys.key(spec)
        let spki = key.publicKey.subjectPublicKeyInfo
        let parsed = try AsymmetricPublicKey(subjectPublicKeyInfo: spki, spec: spec)
        #expect(parsed.spec == spec)
        #expect(parsed.subjectPublicKeyInfo == spki)
        let algorithm = spec.signingAlgorithms[0]
        let input = SigningInput(Self.message, type: .raw)
        #expect(try parsed.isValidSignature(try key.sign(input, algorithm: algorithm), for: input, algorithm: algorithm))

        for other in KeySpec.allCases where other != spec {
            let code: KMSError.Code = other.isAsymmetric ? .validation : .invalidKeyUsage
            #expect(throws: KMSError(code, ""), "read as \(other.rawValue)") {
                try AsymmetricPublicKey(subjectPublicKeyInfo: spki, spec: other)
            }
        }
        var notSPKIs: [(String, [UInt8])] = [
            ("truncated", Array(spki.dropLast())),
            ("a trailing byte", spki + [0x00]),
            ("no outer SEQUENCE tag", Array(spki.dropFirst())),
            ("empty", []),
        ]
        if spec.rsaBitCount != nil {
            // SEQUENCE, AlgorithmIdentifier and BIT STRING headers are 4 + 15 + 5 bytes for
            // these key sizes; what follows is the PKCS#1 RSAPublicKey.
            let pkcs1 = Array(spki.dropFirst(24))
            #expect(pkcs1.prefix(2) == [0x30, 0x82])
            notSPKIs.append(("a bare PKCS#1 RSAPublicKey", pkcs1))
        }
        for (what, bytes) in notSPKIs {
            #expect(throws: KMSError(.validation, ""), "\(what): \(bytes.count) bytes") {
                try AsymmetricPublicKey(subjectPublicKeyInfo: bytes, spec: spec)
            }
        }
    }

    /// The RFC 8410 encodings, written out here rather than taken from `Ed25519Encoding`, and
    /// checked against swift-crypto's raw Ed25519 keys.
    @Test func ed25519KeysUseTheRFC8410Encodings() throws {
        let key = try SharedKeys.key(.ed25519)
        let pkcs8: [UInt8] = key.pkcs8.withUnsafeBytes { Array($0) }
        let spki = key.publicKey.subjectPublicKeyInfo
        #expect(pkcs8.count == 48)
        #expect(Array(pkcs8.prefix(16)).hex == "302e020100300506032b657004220420")
        #expect(spki.count == 44)
        #expect(Array(spki.prefix(12)).hex == "302a300506032b6570032100")
        let raw = try Curve25519.Signing.PrivateKey(rawRepresentation: pkcs8.dropFirst(16))
        #expect(Array(raw.publicKey.rawRepresentation) == Array(spki.dropFirst(12)))
        let signature = try key.sign(SigningInput(Self.message, type: .raw), algorithm: .ed25519)
        #expect(raw.publicKey.isValidSignature(signature, for: Self.message))
    }

    @Test(arguments: specs)
    func algorithmsOfOtherSpecsAreInvalidKeyUsage(spec: KeySpec) throws {
        let key = try SharedKeys.key(spec)
        let input = SigningInput(Self.message, type: .raw)
        let signature = try key.sign(input, algorithm: spec.signingAlgorithms[0])
        for algorithm in SigningAlgorithm.allCases where !spec.signingAlgorithms.contains(algorithm) {
            #expect(throws: KMSError(.invalidKeyUsage, ""), "sign \(algorithm.rawValue)") {
                try key.sign(input, algorithm: algorithm)
            }
            #expect(throws: KMSError(.invalidKeyUsage, ""), "verify \(algorithm.rawValue)") {
                try key.publicKey.isValidSignature(signature, for: input, algorithm: algorithm)
            }
        }
        let plaintext = SecretBytes(copying: [1, 2, 3])
        for algorithm in EncryptionAlgorithm.allCases where !spec.encryptionAlgorithms.contains(algorithm) {
            #expect(throws: KMSError(.invalidKeyUsage, ""), "encrypt \(algorithm.rawValue)") {
                try key.publicKey.encrypt(plaintext, algorithm: algorithm)
            }
            #expect(throws: KMSError(.invalidKeyUsage, ""), "decrypt \(algorithm.rawValue)") {
                try key.decrypt(signature, algorithm: algorithm)
            }
        }
    }

    /// Every length but the algorithm's digest length, including the other digests' lengths.
    @Test(arguments: hashingPairs)
    func aDigestOfTheWrongLengthIsValidation(spec: KeySpec, algorithm: SigningAlgorithm) throws {
        let key = try SharedKeys.key(spec)
        let length = try #require(algorithm.digestAlgorithm).byteCount
        let signature = try key.sign(SigningInput(Self.message, type: .raw), algorithm: algorithm)
        for wrongLength in [0, 1, length - 1, length + 1, 20, 32, 48, 64, 4096] where wrongLength != length {
            let input = SigningInput([UInt8](repeating: 0x42, count: wrongLength), type: .digest)
            #expect(throws: KMSError(.validation, ""), "sign \(wrongLength) bytes") { try key.sign(input, algorithm: algorithm) }
            #expect(throws: KMSError(.validation, ""), "verify \(wrongLength) bytes") {
                try key.publicKey.isValidSignature(signature, for: input, algorithm: algorithm)
            }
        }
    }

    /// Ed25519 signs messages, not digests, whatever the length.
    @Test(arguments: [0, 32, 64])
    func ed25519WithADigestIsValidation(length: Int) throws {
        let key = try SharedKeys.key(.ed25519)
        let digest = SigningInput([UInt8](repeating: 0x42, count: length), type: .digest)
        let signature = try key.sign(SigningInput(digest.bytes, type: .raw), algorithm: .ed25519)
        #expect(throws: KMSError(.validation, "")) { try key.sign(digest, algorithm: .ed25519) }
        #expect(throws: KMSError(.validation, "")) { try key.publicKey.isValidSignature(signature, for: digest, algorithm: .ed25519) }
    }

    @Test(arguments: KeySpec.allCases.filter { !$0.isAsymmetric })
    func specsWithoutAPrivateKeyDoNotGenerateOne(spec: KeySpec) {
        #expect(throws: KMSError(.invalidKeyUsage, "")) { try AsymmetricPrivateKey.generate(spec) }
    }

    /// Keys come from the secure random generator: two are never the same. RSA 3072 and
    /// 4096 are left out so that each of those sizes is generated once per run.
    @Test(arguments: specs.filter { $0 != .rsa3072 && $0 != .rsa4096 })
    func twoGeneratedKeysDiffer(spec: KeySpec) throws {
        let first = try SharedKeys.key(spec)
        let second = spec == .rsa2048 ? try SharedKeys.otherRSA2048() : try AsymmetricPrivateKey.generate(spec)
        #expect(second.spec == spec)
        #expect(first.publicKey.subjectPublicKeyInfo != second.publicKey.subjectPublicKeyInfo)
        #expect(first.pkcs8 != second.pkcs8)
    }
}
