import Crypto
import KMSCore
import KMSCrypto
import Testing

/// Every Wycheproof HKDF-SHA256 vector through ``HKDFSHA256``; the invalid sizes must throw.
@Suite struct WycheproofHKDFTests {
    struct Group: Decodable {
        let tests: [Vector]
    }

    struct Vector: Decodable {
        let tcId: Int
        let comment: String
        let ikm: HexBytes
        let salt: HexBytes
        let info: HexBytes
        let size: Int
        let okm: HexBytes
        let result: WycheproofResult
    }

    /// Counted with python3 from hkdf_sha256_test.json (all groups).
    static let expected = WycheproofTally(valid: 83, invalid: 3)

    @Test func hkdfSHA256Vectors() throws {
        let file = try WycheproofFile<Group>.load("hkdf_sha256_test")
        #expect(file.algorithm == "HKDF-SHA-256")
        var ran = WycheproofTally()
        for vector in file.testGroups.flatMap(\.tests) {
            check(vector)
            ran.count(vector.result)
        }
        #expect(ran.seen == file.numberOfTests)
        #expect(ran == Self.expected)
    }

    func check(_ vector: Vector) {
        let derive = { () throws(KMSError) -> [UInt8] in
            try HKDFSHA256.deriveKey(
                inputKeyMaterial: SymmetricKey(data: vector.ikm.bytes),
                salt: vector.salt.bytes,
                info: vector.info.bytes,
                outputByteCount: vector.size
            ).withUnsafeBytes { Array($0) }
        }
        switch vector.result {
        case .valid:
            do {
                #expect(try derive() == vector.okm.bytes, "tcId \(vector.tcId) \(vector.comment)")
            } catch {
                Issue.record("tcId \(vector.tcId) \(vector.comment) threw \(error)")
            }
        case .invalid:
            #expect(throws: KMSError(.internalFailure, ""), "tcId \(vector.tcId) \(vector.comment)") { try derive() }
        case .acceptable:
            Issue.record("tcId \(vector.tcId): hkdf_sha256_test.json has no acceptable vectors")
        }
    }
}
