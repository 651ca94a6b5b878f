@testable import KMSIdentity
import Testing

@Suite("Wildcard patterns")
struct WildcardPatternTests {
    @Test("* and ? match as globs over the whole text", arguments: [
        ("*", "", true),
        ("*", "spiffe://td/a/b", true),
        ("spiffe://td/*", "spiffe://td/ns/x/sa/y", true),
        ("spiffe://td/*", "spiffe://td2/ns", false),
        ("a*b", "ab", true),
        ("a*b", "axxb", true),
        ("a*b", "axxbc", false),
        ("a?c", "abc", true),
        ("a?c", "ac", false),
        ("*.example", "a.b.example", true),
        ("exact", "exact", true),
        ("exact", "exactly", false),
        ("", "", true),
        ("CN=*,O=Ex?mple", "CN=x,y,O=Example", true),
        ("a*a*a*a*a*a*b", String(repeating: "a", count: 200), false),
    ])
    func matching(pattern: String, text: String, expected: Bool) {
        #expect(WildcardPattern(pattern).matches(text) == expected)
    }

    @Test("case-insensitive patterns ignore case on both sides")
    func caseInsensitive() {
        #expect(WildcardPattern("API.*", caseInsensitive: true).matches("api.Example"))
        #expect(!WildcardPattern("API.*").matches("api.Example"))
    }
}

@Suite("IP address text")
struct IPAddressTextTests {
    @Test("IPv6 addresses follow RFC 5952", arguments: [
        ([UInt8](repeating: 0, count: 16), "::"),
        ([UInt8](repeating: 0, count: 15) + [1], "::1"),
        ([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1], "2001:db8::1:0:0:1"),
        ([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], "2001:db8:0:1:1:1:1:1"),
        ([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "fe80::"),
        ([0x20, 0x01, 0x0d, 0xb8, 0xAB, 0xCD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "2001:db8:abcd::"),
    ])
    func ipv6(bytes: [UInt8], expected: String) {
        #expect(IPAddressText.text(for: bytes) == expected)
    }

    @Test("IPv4 is dotted decimal; other lengths are hex")
    func otherLengths() {
        #expect(IPAddressText.text(for: [192, 168, 0, 255]) == "192.168.0.255")
        #expect(IPAddressText.text(for: [10, 0, 0, 0, 255, 0, 0, 0]) == "#0a000000ff000000")
    }
}
