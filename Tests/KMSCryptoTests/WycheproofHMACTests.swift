import KMSCore
import KMSCrypto
import Testing

/// Every Wycheproof HMAC-SHA256 vector through ``MACKey``: full-length (256-bit) tags must
/// compute and verify as the vector says; truncated (128-bit) tags, which ``MACKey`` refuses
/// by design, are counted as skipped, and each must be refused with `.validation`.
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

    /// Counted with python3 from hmac_sha256_test.json: groups with tagSize 256 run, the
    /// groups with tagSize 128 skipped (33 valid and 54 invalid truncated tags).
    static let expected = WycheproofTally(valid: 33, invalid: 54, skipped: 87)

    @Test func hmacSHA256VectorsThroughMACKey() throws {
        let file = try WycheproofFile<Group>.load("hmac_sha256_test")
        #expect(file.algorithm == "HMACSHA256")
        var ran = WycheproofTally()
        for group in file.testGroups {
            for vector in group.tests {
                let key = MACKey(secret: SecretBytes(copying: vector.key.bytes), spec: .hmac256)
                if group.tagSize == 256 {
                    check(vector, key: key)
                    ran.count(vector.result)
                } else {
                    try checkRefused(vector, key: key, tagSize: group.tagSize)
                    ran.skip(1)
                }
            }
        }
        #expect(ran.seen == file.numberOfTests)
        #expect(ran == Self.expected)
    }

    func check(_ vector: Vector, key: MACKey) {
        let label: Comment = "tcId \(vector.tcId) \(vector.comment)"
        do {
            let accepted = try key.isValid(vector.tag.bytes, for: vector.msg.bytes, algorithm: .hmacSHA256)
            switch vector.result {
            case .valid:
                #expect(try key.mac(for: vector.msg.bytes, algorithm: .hmacSHA256) == vector.tag.bytes, label)
                #expect(accepted, label)
            case .invalid:
                #expect(!accepted, label)
            case .acceptable:
                Issue.record("\(label): hmac_sha256_test.json has no acceptable vectors")
            }
        } catch {
            Issue.record("\(label) threw \(error)")
        }
    }

    /// A truncated tag is refused before it is compared; a valid one is still the prefix of
    /// the full tag ``MACKey`` computes.
    func checkRefused(_ vector: Vector, key: MACKey, tagSize: Int) throws {
        let label: Comment = "tcId \(vector.tcId) \(vector.comment)"
        #expect(vector.tag.bytes.count * 8 == tagSize, label)
        #expect(throws: KMSError(.validation, ""), label) {
            try key.isValid(vector.tag.bytes, for: vector.msg.bytes, algorithm: .hmacSHA256)
        }
        if vector.result == .valid {
            #expect(try key.mac(for: vector.msg.bytes, algorithm: .hmacSHA256).prefix(vector.tag.bytes.count) == vector.tag.bytes[...], label)
        }
    }
}
