import Foundation
import KMSAudit
import Testing

/// Regression tests for what the audit line fuzz target (FuzzAuditLine, docs/TESTING.md)
/// checks: a decoded line re-encodes to a line that decodes to the same record. A time that
/// `RFC3339.format` would not write back the same used to decode, so the record's time changed
/// on the way through `encode` (the fuzzer's input: the year 9287, 5 µs off).
@Suite struct AuditLineTimeRoundTripTests {
    static func line(time: String) -> [UInt8] {
        Array((#"{"seq":42,"time":""# + time + #"","request_id":"req-1","principal":"CN=alice,O=Acme","#
            + #""action":"kms:ReEncrypt","outcome":"denied","prev_hash":""# + AuditLine.genesisHash
            + #"","hash":""# + String(repeating: "0", count: 64) + #""}"#).utf8)
    }

    @Test("a time that does not format back the same is not an audit time", arguments: [
        "9287-11-18T11:06:40.250000Z",  // the fuzzer's input: a Date cannot hold its microseconds
        "2106-06-15T12:34:56.000011Z",  // from 2106 on some microseconds are lost (it came back .000012)
        "2026-02-31T00:00:00.000000Z",  // a day February does not have
        "2026-12-31T23:59:60.000000Z",  // a leap second, which timegm moves to the next minute
    ])
    func rejected(time: String) {
        #expect(throws: AuditLineError.self) { try AuditLine.decode(Self.line(time: time)) }
    }

    @Test("a time that formats back the same decodes and re-encodes to the same record", arguments: [
        "2026-11-18T11:06:40.250000Z", "1970-01-01T00:00:00.000000Z", "1969-12-31T23:59:59.999999Z",
        "2105-12-31T23:59:59.999999Z", "2000-02-29T12:00:00.000001Z",
    ])
    func roundTrips(time: String) throws {
        let decoded = try AuditLine.decode(Self.line(time: time))
        let (line, hash) = AuditLine.encode(decoded.record, sequence: decoded.sequence, previousHash: decoded.previousHash)
        let again = try AuditLine.decode(line)
        #expect(again.record == decoded.record)
        #expect(again.hash == hash)
        #expect(String(decoding: line, as: UTF8.self).contains(#""time":"\#(time)""#))
    }
}
