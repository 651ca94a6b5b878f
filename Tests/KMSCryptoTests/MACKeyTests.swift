import KMSCore
import KMSCrypto
import Testing

/// HMAC-SHA-256/384/512 through ``MACKey``: known answers, generated keys, tampering,
/// truncated tags (`.validation`) and algorithms of other specs (`.invalidKeyUsage`).
@Suite struct MACKeyTests {
    static let specs: [(KeySpec, MACAlgorithm, Int)] = [
        (.hmac256, .hmacSHA256, 32), (.hmac384, .hmacSHA384, 48), (.hmac512, .hmacSHA512, 64),
    ]
    static let message = Array("a message to authenticate".utf8)

    /// RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    @Test(arguments: [
        (KeySpec.hmac256, MACAlgorithm.hmacSHA256, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        (.hmac384, .hmacSHA384, "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"),
        (.hmac512, .hmacSHA512, "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"),
    ])
    func rfc4231KnownAnswer(spec: KeySpec, algorithm: MACAlgorithm, tagHex: String) throws {
        let key = MACKey(secret: SecretBytes(copying: Array("Jefe".utf8)), spec: spec)
        let data = Array("what do ya want for nothing?".utf8)
        let tag = try #require([UInt8](hex: tagHex))
        #expect(try key.mac(for: data, algorithm: algorithm) == tag)
        #expect(try key.isValid(tag, for: data, algorithm: algorithm))
    }

    @Test(arguments: specs)
    func generatedKeysMakeFullLengthTagsThatVerify(spec: KeySpec, algorithm: MACAlgorithm, tagLength: Int) throws {
        #expect(spec.macAlgorithms == [algorithm])
        let key = try MACKey.generate(spec)
        #expect(key.spec == spec)
        let tag = try key.mac(for: Self.message, algorithm: algorithm)
        #expect(tag.count == tagLength)
        #expect(try key.mac(for: Self.message, algorithm: algorithm) == tag)
        #expect(try key.isValid(tag, for: Self.message, algorithm: algorithm))
        #expect(try key.isValid(try key.mac(for: [], algorithm: algorithm), for: [], algorithm: algorithm))

        for index in [0, Self.message.count - 1] {
            var changed = Self.message
            changed[index] ^= 0x01
            #expect(try !key.isValid(tag, for: changed, algorithm: algorithm), "message byte \(index)")
        }
        for index in [0, tagLength / 2, tagLength - 1] {
            var changed = tag
            changed[index] ^= 0x01
            #expect(try !key.isValid(changed, for: Self.message, algorithm: algorithm), "tag byte \(index)")
        }
        let other = try MACKey.generate(spec)
        #expect(try other.mac(for: Self.message, algorithm: algorithm) != tag)
        #expect(try !other.isValid(tag, for: Self.message, algorithm: algorithm))
    }

    /// Truncated (or extended) tags are refused, not compared, even when they are a prefix of
    /// the right tag.
    @Test(arguments: specs)
    func aTagOfAnyOtherLengthIsValidation(spec: KeySpec, algorithm: MACAlgorithm, tagLength: Int) throws {
        let key = try MACKey.generate(spec)
        let tag = try key.mac(for: Self.message, algorithm: algorithm)
        for wrong in [[], Array(tag.prefix(16)), Array(tag.prefix(tagLength / 2)), Array(tag.dropLast()), tag + [0x00]] {
            #expect(throws: KMSError(.validation, ""), "\(wrong.count) bytes") {
                try key.isValid(wrong, for: Self.message, algorithm: algorithm)
            }
        }
    }

    @Test(arguments: specs)
    func theAlgorithmsOfOtherSpecsAreInvalidKeyUsage(spec: KeySpec, algorithm: MACAlgorithm, tagLength: Int) throws {
        let key = try MACKey.generate(spec)
        let tag = try key.mac(for: Self.message, algorithm: algorithm)
        for other in MACAlgorithm.allCases where other != algorithm {
            #expect(throws: KMSError(.invalidKeyUsage, ""), "mac \(other.rawValue)") {
                try key.mac(for: Self.message, algorithm: other)
            }
            for candidate in [tag, [UInt8](repeating: 0, count: other.digestAlgorithm.byteCount)] {
                #expect(throws: KMSError(.invalidKeyUsage, ""), "verify \(other.rawValue), \(candidate.count)-byte tag") {
                    try key.isValid(candidate, for: Self.message, algorithm: other)
                }
            }
        }
    }

    @Test(arguments: KeySpec.allCases.filter(\.macAlgorithms.isEmpty))
    func specsThatAreNotHMACDoNotGenerateAMACKey(spec: KeySpec) {
        #expect(throws: KMSError(.invalidKeyUsage, "")) { try MACKey.generate(spec) }
    }
}
