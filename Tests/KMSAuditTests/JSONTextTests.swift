import Foundation
@testable import KMSAudit
import Testing

/// The audit line's JSON writer: integers as `String(value)` writes them, strings escaped so
/// that a JSON parser reads back exactly the original.
@Suite struct JSONTextTests {
    @Test func integersAreWrittenAsDecimalText() {
        let values: [Int64] = [0, 1, 9, 10, 99, 100, 4_294_967_295, .max, -1, -10, .min]
        for value in values {
            var out: [UInt8] = []
            JSONText.appendInteger(value, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == String(value))
        }
        for value: UInt64 in [0, 7, 1_000_000, .max] {
            var out: [UInt8] = [UInt8(ascii: "x")]
            JSONText.appendInteger(value, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == "x" + String(value))
        }
        var out: [UInt8] = []
        JSONText.appendInteger(UInt32.max, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "4294967295")
    }

    @Test(arguments: [
        "", "plain", "spiffe://test.example/ns/a", "quote \" and backslash \\", "line\nbreak\r\ttab",
        "\u{0}\u{1}\u{1f}", "caf\u{e9} \u{1F600}", String(repeating: "a\"", count: 300),
    ])
    func stringsReadBackExactly(value: String) throws {
        var out: [UInt8] = []
        JSONText.appendString(value, to: &out)
        let parsed = try JSONSerialization.jsonObject(with: Data(out), options: .fragmentsAllowed) as? String
        #expect(parsed == value)
        #expect(!out.contains { $0 < 0x20 })
    }
}
