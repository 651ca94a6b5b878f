@testable import KMSIdentity
import Testing

/// `spiffe://example.org/` followed by `a`s, `total` bytes long in all.
private func spiffeID(ofLength total: Int) -> String {
    let prefix = "spiffe://example.org/"
    return prefix + String(repeating: "a", count: total - prefix.utf8.count)
}

/// Valid SPIFFE IDs, with their trust domain and path.
private let validSPIFFEIDs: [(String, String, String)] = [
    ("spiffe://prod.example", "prod.example", ""),
    ("spiffe://prod.example/ns/payments/sa/api", "prod.example", "/ns/payments/sa/api"),
    ("spiffe://td/x", "td", "/x"),
    ("spiffe://a-b_c.0-9/A-Z_a.z-0", "a-b_c.0-9", "/A-Z_a.z-0"),
    ("spiffe://td/.../.x/x./-/_", "td", "/.../.x/x./-/_"),
    ("spiffe://example.org/9eebccd2-12bf-40a6-b262-65fe0487d453", "example.org", "/9eebccd2-12bf-40a6-b262-65fe0487d453"),
    ("spiffe://" + String(repeating: "a", count: 255) + "/x", String(repeating: "a", count: 255), "/x"),
]

/// Invalid SPIFFE IDs, with part of the message that names the rule each breaks.
private let invalidSPIFFEIDs: [(String, String)] = [
    ("", "does not start with 'spiffe://'"),
    ("spiffe://", "the trust domain is empty"),
    ("spiffe:///x", "the trust domain is empty"),
    ("spiffe:", "does not start with 'spiffe://'"),
    ("spiffe:/prod.example/x", "does not start with 'spiffe://'"),
    ("spiffe:prod.example/x", "does not start with 'spiffe://'"),
    (" spiffe://prod.example/x", "does not start with 'spiffe://'"),
    ("https://prod.example/x", "does not start with 'spiffe://'"),
    ("SPIFFE://prod.example/x", "the scheme must be 'spiffe' in lower case"),
    ("Spiffe://prod.example/x", "the scheme must be 'spiffe' in lower case"),
    ("spiffe://Prod.Example/x", "the trust domain has an upper-case letter"),
    ("spiffe://prod.exampLe", "the trust domain has an upper-case letter"),
    ("spiffe://prod.example:443/x", "a port is not allowed"),
    ("spiffe://prod.example:/x", "a port is not allowed"),
    ("spiffe://user@prod.example/x", "user info is not allowed"),
    ("spiffe://user:secret@prod.example/x", "a port is not allowed"),
    ("spiffe://prod.example/x?y=1", "it has a query ('?')"),
    ("spiffe://prod.example?y=1", "it has a query ('?')"),
    ("spiffe://prod.example/x#top", "it has a fragment ('#')"),
    ("spiffe://prod.example#top", "it has a fragment ('#')"),
    ("spiffe://prod.example/a//b", "the path has an empty segment ('//')"),
    ("spiffe://prod.example//", "the path has an empty segment ('//')"),
    ("spiffe://prod.example/.", "the path has a '.' or '..' segment"),
    ("spiffe://prod.example/..", "the path has a '.' or '..' segment"),
    ("spiffe://prod.example/a/./b", "the path has a '.' or '..' segment"),
    ("spiffe://prod.example/a/../b", "the path has a '.' or '..' segment"),
    ("spiffe://prod.example/", "the path ends with '/'"),
    ("spiffe://prod.example/x/", "the path ends with '/'"),
    ("spiffe://prod.example/a%2Fb", "it has percent-encoding ('%')"),
    ("spiffe://prod%2Eexample/x", "it has percent-encoding ('%')"),
    ("spiffe://prod.example/caf\u{E9}", "it has a non-ASCII character"),
    ("spiffe://pr\u{F6}d.example/x", "it has a non-ASCII character"),
    ("spiffe://prod.example/\u{1F600}", "it has a non-ASCII character"),
    ("spiffe://prod.example/a+b", "the path has '+', which is not allowed"),
    ("spiffe://prod.example/a b", "the path has byte 0x20, which is not allowed"),
    ("spiffe://prod.example/a\nb", "the path has byte 0x0A, which is not allowed"),
    ("spiffe://prod example/x", "the trust domain has byte 0x20, which is not allowed"),
    ("spiffe://[::1]/x", "the trust domain has '[', which is not allowed"),
    ("spiffe://" + String(repeating: "a", count: 256) + "/x", "the trust domain is longer than 255 bytes"),
]

@Suite("SPIFFE IDs")
struct SPIFFEIDTests {
    @Test("valid SPIFFE IDs parse into trust domain and path", arguments: validSPIFFEIDs)
    func valid(text: String, trustDomain: String, path: String) throws {
        let id = try SPIFFEID(parsing: text)
        #expect(id.trustDomain == trustDomain)
        #expect(id.path == path)
        #expect(id.description == text)
    }

    @Test("a SPIFFE ID of exactly 2048 bytes is valid")
    func maximumLength() throws {
        let text = spiffeID(ofLength: 2048)
        #expect(text.utf8.count == 2048)
        #expect(try SPIFFEID(parsing: text).description == text)
    }

    @Test("a SPIFFE ID of 2049 bytes is not, and the message does not repeat all of it")
    func tooLong() {
        let text = spiffeID(ofLength: 2049)
        #expect(text.utf8.count == 2049)
        let error = #expect(throws: InvalidIdentity.self) { try SPIFFEID(parsing: text) }
        #expect(error?.reason.contains("2049 bytes long; at most 2048") == true)
        #expect((error?.reason.count ?? .max) < 300)
    }

    @Test("invalid SPIFFE IDs are refused, naming the rule they break", arguments: invalidSPIFFEIDs)
    func invalid(text: String, problem: String) {
        let error = #expect(throws: InvalidIdentity.self) { try SPIFFEID(parsing: text) }
        #expect(error?.reason.contains(problem) == true, "\(error?.reason ?? "no error")")
        #expect(error?.reason.contains("is not a valid SPIFFE ID") == true)
        #expect(error?.certificateSubject == "")
    }

    @Test("the message quotes the text, escaping what could break a log line")
    func messageQuotesSafely() {
        let error = #expect(throws: InvalidIdentity.self) { try SPIFFEID(parsing: "SPIFFE://td/x") }
        #expect(error?.reason == "'SPIFFE://td/x' is not a valid SPIFFE ID: the scheme must be 'spiffe' in lower case")
        let escaped = #expect(throws: InvalidIdentity.self) { try SPIFFEID(parsing: "spiffe://td/a\nb'\u{E9}") }
        #expect(escaped?.reason.hasPrefix(#"'spiffe://td/a\u{A}b\'\u{E9}' is not a valid SPIFFE ID"#) == true)
        #expect(escaped?.reason.contains("\n") == false)
    }

    @Test("a URI claims to be a SPIFFE ID when its scheme is spiffe, in any case", arguments: [
        ("spiffe://td/x", true),
        ("SPIFFE://td/x", true),
        ("sPiFfE://td/x", true),
        ("spiffe:td", true),
        ("spiffe:", true),
        ("spiffe", false),
        ("spiffes://td/x", false),
        ("https://td/x", false),
        ("urn:spiffe:td", false),
        ("", false),
    ])
    func scheme(uri: String, claims: Bool) {
        #expect(SPIFFEID.hasSPIFFEScheme(uri) == claims)
    }
}
