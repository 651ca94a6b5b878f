import KMSCore
import Testing

@Suite struct EncryptionContextTests {
    @Test func canonicalEncodingIsOrderIndependentAndRoundTrips() throws {
        let a = try EncryptionContext(["tenant": "acme", "app": "billing"])
        let b = try EncryptionContext(["app": "billing", "tenant": "acme"])
        #expect(a.canonicalEncoding == b.canonicalEncoding)
        #expect(EncryptionContext(canonicalEncoding: a.canonicalEncoding) == a)
        #expect(a.canonicalEncoding == [0, 2, 0, 3] + Array("app".utf8) + [0, 7] + Array("billing".utf8)
            + [0, 6] + Array("tenant".utf8) + [0, 4] + Array("acme".utf8))
    }

    @Test func differentContextsEncodeDifferently() throws {
        let a = try EncryptionContext(["ab": "c"])
        let b = try EncryptionContext(["a": "bc"])
        #expect(a.canonicalEncoding != b.canonicalEncoding)
    }

    @Test func emptyKeyOrValueIsRejected() {
        #expect(throws: KMSError(.validation, "")) { try EncryptionContext(["": "x"]) }
        #expect(throws: KMSError(.validation, "")) { try EncryptionContext(["x": ""]) }
    }

    @Test func pairCountLimit() throws {
        let ok = Dictionary(uniqueKeysWithValues: (0..<64).map { ("k\($0)", "v") })
        _ = try EncryptionContext(ok)
        let tooMany = Dictionary(uniqueKeysWithValues: (0..<65).map { ("k\($0)", "v") })
        #expect(throws: KMSError(.limitExceeded, "")) { try EncryptionContext(tooMany) }
    }

    @Test func totalSizeLimit() throws {
        _ = try EncryptionContext(["k": String(repeating: "v", count: 8191)])
        #expect(throws: KMSError(.limitExceeded, "")) {
            try EncryptionContext(["k": String(repeating: "v", count: 8192)])
        }
    }

    @Test func malformedCanonicalEncodingIsRejected() {
        #expect(EncryptionContext(canonicalEncoding: [0, 1, 0, 1]) == nil)
        #expect(EncryptionContext(canonicalEncoding: [0, 0, 7]) == nil)
    }
}
