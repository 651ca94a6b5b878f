import Foundation
import KMSAudit
import Testing

@Suite struct AuditLineTests {
    static let previous = String(repeating: "3c", count: 32)

    static let full = AuditRecord(
        time: Date(timeIntervalSince1970: 1_795_000_000.25), requestID: "req-1", batchIndex: 2, node: "kms-a.example",
        principal: "CN=alice,O=Acme", source: "192.0.2.7", action: "kms:ReEncrypt", keyID: "key-a", keyVersion: 3, alias: "alias/billing",
        destinationKeyID: "key-b", destinationKeyVersion: 7, outcome: .denied, reason: "ACCESS_DENIED",
        encryptionContextKeys: ["Tenant", "tenant_id"], encryptionContextHMAC: String(repeating: "ab", count: 32),
        encryptionContext: ["tenant_id": "acme", "Tenant": "Acme Corp"], grantID: "grant-9"
    )

    static let minimal = AuditRecord(
        time: Date(timeIntervalSince1970: 1_795_000_000), requestID: "req-2", principal: "bob", action: "kms:ListKeys",
        outcome: .allowed
    )

    @Test func everyFieldIsWrittenInTheDocumentedOrderAndHashed() {
        let (line, hash) = AuditLine.encode(Self.full, sequence: 42, previousHash: Self.previous)
        let body = #"{"seq":42,"time":"2026-11-18T11:06:40.250000Z","request_id":"req-1","batch_index":2,"#
            + #""node":"kms-a.example","principal":"CN=alice,O=Acme","#
            + #""source":"192.0.2.7","action":"kms:ReEncrypt","key_id":"key-a","key_version":3,"alias":"alias/billing","#
            + #""destination_key_id":"key-b","destination_key_version":7,"outcome":"denied","reason":"ACCESS_DENIED","#
            + #""encryption_context_keys":["Tenant","tenant_id"],"encryption_context_hmac":""# + String(repeating: "ab", count: 32)
            + #"","encryption_context":{"Tenant":"Acme Corp","tenant_id":"acme"},"grant_id":"grant-9","#
            + #""prev_hash":""# + Self.previous + #"""#
        let expectedHash = hexSHA256(Array((body + "}").utf8))
        #expect(String(decoding: line, as: UTF8.self) == body + #","hash":""# + expectedHash + #""}"#)
        #expect(hash == expectedHash)
    }

    @Test func recordWithEveryFieldRoundTrips() throws {
        let (line, hash) = AuditLine.encode(Self.full, sequence: 42, previousHash: Self.previous)
        let decoded = try AuditLine.decode(line)
        #expect(decoded.sequence == 42)
        #expect(decoded.record == Self.full)
        #expect(decoded.previousHash == Self.previous)
        #expect(decoded.hash == hash)
        #expect(AuditLine.encode(decoded.record, sequence: 42, previousHash: Self.previous).line == line)
    }

    @Test func recordWithNoOptionalFieldRoundTripsAndOmitsThem() throws {
        let (line, hash) = AuditLine.encode(Self.minimal, sequence: 1, previousHash: AuditLine.genesisHash)
        let decoded = try AuditLine.decode(line)
        #expect(decoded.sequence == 1)
        #expect(decoded.record == Self.minimal)
        #expect(decoded.previousHash == AuditLine.genesisHash)
        #expect(decoded.hash == hash)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
        #expect(Set(object.keys) == ["seq", "time", "request_id", "principal", "action", "outcome", "prev_hash", "hash"])
    }

    @Test func theNodeFollowsTheRequestRoundTripsAndIsHashed() throws {
        var record = Self.minimal
        record.node = "kms-b"
        let (line, hash) = AuditLine.encode(record, sequence: 5, previousHash: Self.previous)
        let text = String(decoding: line, as: UTF8.self)
        #expect(text.hasPrefix(#"{"seq":5,"time":"2026-11-18T11:06:40.000000Z","request_id":"req-2","node":"kms-b","principal":"bob","#))
        let decoded = try AuditLine.decode(line)
        #expect(decoded.record.node == "kms-b")
        #expect(decoded.record == record)
        #expect(AuditLine.contentHash(of: line[...]) == hash)
        #expect(hash != AuditLine.encode(Self.minimal, sequence: 5, previousHash: Self.previous).hash, "the node is in the hashed bytes")
    }

    /// A line as written before records named their node (the example of docs/AUDIT.md
    /// until then).
    static let lineWithoutNode = #"{"seq":2,"time":"2026-11-29T14:58:31.267610Z","request_id":"2afb1009-8136-4b26-b209-d71ec1095a36","#
        + #""principal":"spiffe://swift-kms.dev/admin","source":"127.0.0.1","action":"kms:Encrypt","#
        + #""key_id":"924ff602-7435-45d6-962c-1fde89875c1f","key_version":1,"outcome":"allowed","#
        + #""encryption_context_keys":["app","tenant"],"#
        + #""encryption_context_hmac":"f5a9b37a2d8ae478a1806cfcd8a64588abfd077ee5eb6fd390244328510b3435","#
        + #""prev_hash":"d13fb652d5c41be3eaf68dda0fd24e446383f310c0aabe1122045c07a5e3ab95","#
        + #""hash":"89751460dd8045c094ae40e9fe20988616105e1bf61370e57b56d6ff456e5dea"}"#

    @Test func aLineWithoutNodeStillDecodesAndKeepsItsHash() throws {
        let line = Array(Self.lineWithoutNode.utf8)
        let decoded = try AuditLine.decode(line)
        #expect(decoded.record.node == nil)
        #expect(decoded.sequence == 2 && decoded.record.action == "kms:Encrypt")
        #expect(decoded.hash == "89751460dd8045c094ae40e9fe20988616105e1bf61370e57b56d6ff456e5dea")
        #expect(AuditLine.contentHash(of: line[...]) == decoded.hash)
        // Encoding the decoded record gives the same bytes: a record without a node is written
        // exactly as before.
        #expect(AuditLine.encode(decoded.record, sequence: 2, previousHash: decoded.previousHash).line == line)
    }

    @Test func timeKeepsMicroseconds() throws {
        let time = Date(timeIntervalSince1970: 1_795_000_000.123456)
        var record = Self.minimal
        record.time = time
        let (line, _) = AuditLine.encode(record, sequence: 1, previousHash: AuditLine.genesisHash)
        #expect(String(decoding: line, as: UTF8.self).contains(#""time":"2026-11-18T11:06:40.123456Z""#))
        let decoded = try AuditLine.decode(line)
        #expect(abs(decoded.record.time.timeIntervalSince1970 - time.timeIntervalSince1970) < 0.000_001)
    }

    @Test func stringsNeedingEscapesSurvive() throws {
        let awkward = "quote\" backslash\\ newline\n return\r tab\t bell\u{07} unit\u{1F} nul\u{00} é 日本 🔑 \u{2028}"
        let record = AuditRecord(
            time: Self.minimal.time, requestID: awkward, principal: "CN=\"O'Brien\\, Pat\"", source: awkward,
            action: "kms:Encrypt", keyID: awkward, alias: "alias/ünïcödé", outcome: .failed, reason: awkward,
            encryptionContextKeys: [awkward, "b\n"], encryptionContext: [awkward: awkward, "b\n": "\u{01}"], grantID: awkward
        )
        let (line, hash) = AuditLine.encode(record, sequence: 7, previousHash: Self.previous)
        #expect(!line.contains { $0 < 0x20 }, "a control byte in the line would break JSON Lines")
        #expect(String(decoding: line, as: UTF8.self).contains(#"bell\u0007 unit\u001f nul\u0000"#))
        let decoded = try AuditLine.decode(line)
        #expect(decoded.record == record)
        #expect(decoded.hash == hash)
        // An independent JSON parser reads the same strings.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
        #expect(object["request_id"] as? String == awkward)
        #expect(object["principal"] as? String == "CN=\"O'Brien\\, Pat\"")
        #expect(object["encryption_context"] as? [String: String] == [awkward: awkward, "b\n": "\u{01}"])
    }

    @Test func contentHashIsTheHashOfTheLineWithoutItsHashMember() throws {
        let (line, hash) = AuditLine.encode(Self.full, sequence: 42, previousHash: Self.previous)
        #expect(AuditLine.contentHash(of: line[...]) == hash)
        let withoutHash = Array(line.dropLast(9 + 64 + 2)) + [UInt8(ascii: "}")]
        #expect(hexSHA256(withoutHash) == hash)
        #expect(try AuditLine.decode(line).hash == hash)

        let changed = replacing("CN=alice", with: "CN=alicf", in: line)
        #expect(AuditLine.contentHash(of: changed[...]) != hash)
        #expect(AuditLine.contentHash(of: withoutHash[...]) == nil)
        #expect(AuditLine.contentHash(of: [][...]) == nil)
    }

    @Test func contextKeysKeepTheirCase() throws {
        let context = ["tenant_id": "acme", "Tenant": "Acme", "camelCase": "x", "UPPER_SNAKE": "y"]
        var record = Self.minimal
        record.encryptionContextKeys = context.keys.sorted()
        record.encryptionContext = context
        let (line, _) = AuditLine.encode(record, sequence: 3, previousHash: Self.previous)
        #expect(try AuditLine.decode(line).record.encryptionContext == context)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
        #expect(object["encryption_context"] as? [String: String] == context)
        #expect(object["encryption_context_keys"] as? [String] == ["Tenant", "UPPER_SNAKE", "camelCase", "tenant_id"])
    }

    @Test(arguments: [
        "", "garbage", "{}", #"{"seq":1}"#,
        #"{"seq":1,"time":"2026-11-18 11:06:40","request_id":"r","principal":"p","action":"a","outcome":"allowed","prev_hash":"0","hash":"0"}"#,
        #"{"seq":1,"time":"2026-11-18T11:06:40.000000Z","request_id":"r","principal":"p","action":"a","outcome":"maybe","prev_hash":"0","hash":"0"}"#,
    ])
    func malformedLinesAreRejected(line: String) {
        #expect(throws: AuditLineError.self) { try AuditLine.decode(Array(line.utf8)) }
    }
}
