import Crypto
import KMSCrypto
import Testing

/// Wycheproof AES-GCM vectors with the parameters KMSCrypto uses, through ``AESGCM``.
@Suite struct WycheproofAESGCMTests {
    struct Group: Decodable {
        let keySize: Int
        let ivSize: Int
        let tagSize: Int
        let tests: [Vector]
    }

    struct Vector: Decodable {
        let tcId: Int
        let comment: String
        let key: HexBytes
        let iv: HexBytes
        let aad: HexBytes
        let msg: HexBytes
        let ct: HexBytes
        let tag: HexBytes
        let result: WycheproofResult
    }

    /// Counted with python3 from aes_gcm_test.json: groups with keySize 256, ivSize 96, tagSize 128
    /// run; the tests of every other group (other key, nonce or tag sizes) skipped.
    static let expected = WycheproofTally(valid: 39, invalid: 27, skipped: 250)

    @Test func aes256GCMVectorsWith96BitNoncesAnd128BitTags() throws {
        let file = try WycheproofFile<Group>.load("aes_gcm_test")
        #expect(file.algorithm == "AES-GCM")
        var ran = WycheproofTally()
        for group in file.testGroups {
            guard group.keySize == 256 && group.ivSize == 96 && group.tagSize == 128 else {
                ran.skip(group.tests.count)
                continue
            }
            for vector in group.tests {
                check(vector)
                ran.count(vector.result)
            }
        }
        #expect(ran.seen == file.numberOfTests)
        #expect(ran == Self.expected)
        #expect(ran.valid >= 1 && ran.invalid >= 1)
    }

    func check(_ vector: Vector) {
        let key = SymmetricKey(data: vector.key.bytes)
        let sealed = vector.ct.bytes + vector.tag.bytes
        let opened = AESGCM.open(sealed, key: key, nonce: vector.iv.bytes, authenticating: vector.aad.bytes)
        switch vector.result {
        case .valid:
            let resealed = AESGCM.seal(vector.msg.bytes, key: key, nonce: vector.iv.bytes, authenticating: vector.aad.bytes)
            #expect(resealed == sealed, "tcId \(vector.tcId) \(vector.comment)")
            #expect(opened == SecretBytes(copying: vector.msg.bytes), "tcId \(vector.tcId) \(vector.comment)")
        case .invalid:
            #expect(opened == nil, "tcId \(vector.tcId) \(vector.comment)")
        case .acceptable:
            Issue.record("tcId \(vector.tcId): aes_gcm_test.json has no acceptable vectors")
        }
    }
}
