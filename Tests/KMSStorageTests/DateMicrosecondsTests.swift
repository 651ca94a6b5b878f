import Foundation
import KMSStorage
import Testing

@Suite("Date.roundedToMicroseconds")
struct DateMicrosecondsTests {
    @Test(
        "rounds to the nearest microsecond",
        arguments: [
            (790_000_000.123_456_4, 790_000_000.123_456),
            (790_000_000.123_456_6, 790_000_000.123_457),
            (-1.000_000_2, -1.0),
            (0.0, 0.0),
        ]
    )
    func rounds(_ input: Double, _ expected: Double) {
        let rounded = Date(timeIntervalSinceReferenceDate: input).roundedToMicroseconds
        #expect(rounded == Date(timeIntervalSinceReferenceDate: expected))
    }

    @Test("a rounded date stays the same when rounded again")
    func idempotent() {
        let once = Date().roundedToMicroseconds
        #expect(once.roundedToMicroseconds == once)
    }
}
