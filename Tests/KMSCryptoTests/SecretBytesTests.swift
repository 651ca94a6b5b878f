import KMSCrypto
import Testing

@Suite struct SecretBytesTests {
    @Test func copyingKeepsTheBytes() {
        let bytes: [UInt8] = [0, 1, 2, 254, 255]
        let secret = SecretBytes(copying: bytes)
        #expect(secret.count == 5)
        #expect(secret.withUnsafeBytes { Array($0) } == bytes)
    }

    @Test func copyingASequenceWithoutContiguousStorageKeepsTheBytes() {
        let secret = SecretBytes(copying: (1...4).lazy.map { UInt8($0 * 10) })
        #expect(secret.withUnsafeBytes { Array($0) } == [10, 20, 30, 40])
    }

    @Test func emptyBytesAreAllowed() {
        #expect(SecretBytes(copying: [UInt8]()).count == 0)
        #expect(SecretBytes.random(count: 0).count == 0)
        #expect(SecretBytes.random(count: 0) == SecretBytes(copying: [UInt8]()))
    }

    @Test(arguments: [1, 16, 32, 1024])
    func randomHasTheRequestedLengthAndDiffersEachTime(count: Int) {
        let first = SecretBytes.random(count: count)
        #expect(first.count == count)
        if count >= 16 {
            #expect(first != SecretBytes.random(count: count))
        }
    }

    @Test func equalityComparesBytesAndLength() {
        #expect(SecretBytes(copying: [1, 2, 3]) == SecretBytes(copying: [1, 2, 3]))
        #expect(SecretBytes(copying: [1, 2, 3]) != SecretBytes(copying: [1, 2, 4]))
        #expect(SecretBytes(copying: [1, 2, 3]) != SecretBytes(copying: [1, 2]))
    }

    @Test func withUnsafeBytesPassesTheClosuresErrorThrough() {
        struct Marker: Error, Equatable {}
        #expect(throws: Marker()) {
            try SecretBytes(copying: [1]).withUnsafeBytes { (_: UnsafeRawBufferPointer) throws(Marker) in throw Marker() }
        }
    }
}
