import Crypto
import Testing

/// Wycheproof HMAC-SHA256 vectors with full-length (256-bit) tags, through swift-crypto's HMAC.
@Suite struct WycheproofHMACTests {
    struct Group: Decodable {
        let tagSize: Int
        let tests: [Vector]
    }

    struct Vector: Decodable {
        let tcId: Int
        let comment: String
        let key: HexBytes
        let msg: HexBytes
        let tag: HexBytes
        let result: WycheproofResult
    }

    /// Counted with python3 from hmac_sha256_test.json: groups with tagSize 256.
    static let expected = WycheproofTally(valid: 33, invalid: 54)

    @Test func hmacSHA256VectorsWithFullLengthTags() throws {
        let file = try WycheproofFile<Group>.load("hmac_sha256_test")
        #expect(file.algorithm == "HMACSHA256")
        var ran = WycheproofTally()
        for group in file.testGroups where group.tagSize == 256 {
            for vector in group.tests {
                check(vector)
                ran.count(vector.result)
            }
        }
        #expect(ran == Self.expected)
    }

    func check(_ vector: Vector) {
        let key = SymmetricKey(data: vector.key.bytes)
        let computed = Array(HMAC<SHA256>.authenticationCode(for: vector.msg.bytes, using: key))
        let accepted = HMAC<SHA256>.isValidAuthenticationCode(vector.tag.bytes, authenticating: vector.msg.bytes, using: key)
        switch vector.result {
        case .valid:
            #expect(computed == vector.tag.bytes, "tcId \(vector.tcId) \(vector.comment)")
            #expect(accepted, "tcId \(vector.tcId) \(vector.comment)")
        case .invalid:
            #expect(!accepted, "tcId \(vector.tcId) \(vector.comment)")
        }
    }
}
