import Foundation
import KMSCore
import Testing

/// The shared hex digit table: every byte's digit value, and lower-case writing.
@Suite struct HexTests {
    @Test func everyByteHasTheValueFoundationReadsForIt() {
        for byte in UInt8.min...UInt8.max {
            let character = String(UnicodeScalar(byte))
            let expected = byte < 0x80 && character.count == 1 ? UInt8(character, radix: 16) : nil
            #expect(Hex.value(of: byte) == expected, "byte \(byte)")
        }
    }

    @Test func writesTwoLowerCaseDigitsPerByte() {
        let bytes = (0...255).map(UInt8.init)
        #expect(Hex.lowercase(bytes) == bytes.map { String(format: "%02x", $0) }.joined())
        #expect(Hex.lowercase([UInt8]()) == "")
    }
}
