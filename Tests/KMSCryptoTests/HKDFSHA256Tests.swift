import Crypto
import KMSCore
import KMSCrypto
import Testing

@Suite struct HKDFSHA256Tests {
    @Test(arguments: [Int.min, -1, 0, 8161, 255 * 32 + 1, Int.max])
    func anOutputLengthOutside1Through8160ThrowsInsteadOfTrapping(length: Int) {
        #expect(throws: KMSError(.internalFailure, "")) {
            try HKDFSHA256.deriveKey(
                inputKeyMaterial: SymmetricKey(size: .bits256), salt: [UInt8](), info: [UInt8](), outputByteCount: length
            )
        }
    }

    @Test(arguments: [1, 32, 33, 8160])
    func anOutputLengthInsideTheRangeGivesThatManyBytes(length: Int) throws {
        let key = try HKDFSHA256.deriveKey(
            inputKeyMaterial: SymmetricKey(size: .bits256), salt: [UInt8](), info: [UInt8](), outputByteCount: length
        )
        #expect(key.bitCount == length * 8)
    }
}
