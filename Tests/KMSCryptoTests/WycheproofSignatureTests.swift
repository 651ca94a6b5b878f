import KMSCore
import KMSCrypto
import Testing

/// Every vector of the Wycheproof signature files (ECDSA P-256/P-384 in DER and P1363,
/// Ed25519, RSA-PSS and RSA PKCS#1 v1.5 with 2048-bit keys) through ``AsymmetricPublicKey``:
/// the group's DER SubjectPublicKeyInfo is read with the spec, and the signature checked
/// over the RAW message with the matching algorithm.
@Suite struct WycheproofSignatureTests {
    /// The parameters a group's vectors were made with, as far as the files state them.
    struct Parameters: Equatable, Sendable {
        var curve: String?
        var keySize: Int?
        var sha: String?
        var mgf: String?
        var mgfSha: String?
        var sLen: Int?
    }

    struct Group: Decodable {
        struct PublicKey: Decodable {
            let curve: String?
        }

        let publicKey: PublicKey
        let publicKeyDer: HexBytes
        let keySize: Int?
        let sha: String?
        let mgf: String?
        let mgfSha: String?
        let sLen: Int?
        let tests: [Vector]

        var parameters: Parameters {
            Parameters(curve: publicKey.curve, keySize: keySize, sha: sha, mgf: mgf, mgfSha: mgfSha, sLen: sLen)
        }
    }

    struct Vector: Decodable {
        let tcId: Int
        let comment: String
        let msg: HexBytes
        let sig: HexBytes
        let result: WycheproofResult
    }

    /// One vector file and how our API runs it.
    struct VectorFile: Sendable, CustomTestStringConvertible {
        let name: String
        /// The file's `algorithm` and `schema`, checked so a file is not run the wrong way.
        let algorithm: String
        let schema: String
        /// The groups our API can express; the others are skipped and counted.
        let parameters: Parameters
        let spec: KeySpec
        let signingAlgorithm: SigningAlgorithm
        /// `nil`: the public API (DER for ECDSA); `.p1363`: the package overload.
        let ecdsaEncoding: ECDSASignatureEncoding?
        let expected: WycheproofTally

        var testDescription: String { name }
    }

    /// The expected tallies were counted with python3: for each file, the tests of the groups
    /// whose curve/keySize/sha/mgf/mgfSha/sLen equal `parameters`, by `result`, and the tests
    /// of all other groups as skipped (none in these files).
    static let files: [VectorFile] = [
        VectorFile(
            name: "ecdsa_secp256r1_sha256_test", algorithm: "ECDSA", schema: "ecdsa_verify_schema_v1.json",
            parameters: Parameters(curve: "secp256r1", sha: "SHA-256"),
            spec: .eccNistP256, signingAlgorithm: .ecdsaSHA256, ecdsaEncoding: nil,
            expected: WycheproofTally(valid: 174, invalid: 310)
        ),
        VectorFile(
            name: "ecdsa_secp256r1_sha256_p1363_test", algorithm: "ECDSA", schema: "ecdsa_p1363_verify_schema_v1.json",
            parameters: Parameters(curve: "secp256r1", sha: "SHA-256"),
            spec: .eccNistP256, signingAlgorithm: .ecdsaSHA256, ecdsaEncoding: .p1363,
            expected: WycheproofTally(valid: 173, invalid: 89)
        ),
        VectorFile(
            name: "ecdsa_secp384r1_sha384_test", algorithm: "ECDSA", schema: "ecdsa_verify_schema_v1.json",
            parameters: Parameters(curve: "secp384r1", sha: "SHA-384"),
            spec: .eccNistP384, signingAlgorithm: .ecdsaSHA384, ecdsaEncoding: nil,
            expected: WycheproofTally(valid: 194, invalid: 310)
        ),
        VectorFile(
            name: "ecdsa_secp384r1_sha384_p1363_test", algorithm: "ECDSA", schema: "ecdsa_p1363_verify_schema_v1.json",
            parameters: Parameters(curve: "secp384r1", sha: "SHA-384"),
            spec: .eccNistP384, signingAlgorithm: .ecdsaSHA384, ecdsaEncoding: .p1363,
            expected: WycheproofTally(valid: 193, invalid: 87)
        ),
        VectorFile(
            name: "ed25519_test", algorithm: "EDDSA", schema: "eddsa_verify_schema_v1.json",
            parameters: Parameters(curve: "edwards25519"),
            spec: .ed25519, signingAlgorithm: .ed25519, ecdsaEncoding: nil,
            expected: WycheproofTally(valid: 88, invalid: 63)
        ),
        VectorFile(
            name: "rsa_pss_2048_sha256_mgf1_32_test", algorithm: "RSASSA-PSS", schema: "rsassa_pss_verify_schema_v1.json",
            parameters: Parameters(keySize: 2048, sha: "SHA-256", mgf: "MGF1", mgfSha: "SHA-256", sLen: 32),
            spec: .rsa2048, signingAlgorithm: .rsassaPSSSHA256, ecdsaEncoding: nil,
            expected: WycheproofTally(valid: 63, invalid: 45)
        ),
        VectorFile(
            name: "rsa_signature_2048_sha256_test", algorithm: "RSASSA-PKCS1-v1_5", schema: "rsassa_pkcs1_verify_schema_v1.json",
            parameters: Parameters(keySize: 2048, sha: "SHA-256"),
            spec: .rsa2048, signingAlgorithm: .rsassaPKCS1V15SHA256, ecdsaEncoding: nil,
            expected: WycheproofTally(valid: 9, invalid: 249, acceptable: 1)
        ),
    ]

    @Test(arguments: files)
    func everyVectorThroughAsymmetricPublicKey(_ file: VectorFile) throws {
        let vectors = try WycheproofFile<Group>.load(file.name)
        #expect(vectors.algorithm == file.algorithm)
        #expect(vectors.schema == file.schema)
        var ran = WycheproofTally()
        for group in vectors.testGroups {
            guard group.parameters == file.parameters else {
                ran.skip(group.tests.count)
                continue
            }
            for vector in group.tests {
                check(vector, publicKeyDer: group.publicKeyDer.bytes, file: file)
                ran.count(vector.result)
            }
        }
        #expect(ran.seen == vectors.numberOfTests)
        #expect(ran == file.expected)
    }

    /// What our API made of a vector.
    enum Verdict: Equatable {
        case accepted
        case rejectedSignature
        /// `AsymmetricPublicKey(subjectPublicKeyInfo:spec:)` threw: a rejection too.
        case rejectedKey(KMSError)
        /// `isValidSignature` threw, which it must not do for a RAW message and the spec's
        /// algorithm: malformed signatures are `false`.
        case threw(KMSError)
    }

    static func verdict(_ vector: Vector, publicKeyDer: [UInt8], file: VectorFile) -> Verdict {
        let key: AsymmetricPublicKey
        do {
            key = try AsymmetricPublicKey(subjectPublicKeyInfo: publicKeyDer, spec: file.spec)
        } catch {
            return .rejectedKey(error)
        }
        let input = SigningInput(vector.msg.bytes, type: .raw)
        do {
            let accepted = if let encoding = file.ecdsaEncoding {
                try key.isValidSignature(vector.sig.bytes, for: input, algorithm: file.signingAlgorithm, ecdsaEncoding: encoding)
            } else {
                try key.isValidSignature(vector.sig.bytes, for: input, algorithm: file.signingAlgorithm)
            }
            return accepted ? .accepted : .rejectedSignature
        } catch {
            return .threw(error)
        }
    }

    func check(_ vector: Vector, publicKeyDer: [UInt8], file: VectorFile) {
        let label: Comment = "\(file.name) tcId \(vector.tcId) \(vector.comment)"
        let verdict = Self.verdict(vector, publicKeyDer: publicKeyDer, file: file)
        switch (vector.result, verdict) {
        case (_, .threw(let error)):
            Issue.record("\(label): isValidSignature threw \(error)")
        case (.valid, _):
            #expect(verdict == .accepted, label)
        case (.invalid, .rejectedKey(let error)):
            #expect(error.code == .validation, label)
        case (.invalid, _):
            #expect(verdict != .accepted, label)
        case (.acceptable, _):
            print("\(label) (acceptable): \(verdict)")
            #expect(Self.verdict(vector, publicKeyDer: publicKeyDer, file: file) == verdict, "\(label): not deterministic")
        }
    }
}
