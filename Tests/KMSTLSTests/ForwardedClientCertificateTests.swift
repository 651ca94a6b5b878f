import Foundation
import KMSDevPKI
import KMSTLS
import Testing
import X509

@Suite("ForwardedClientCertificate")
struct ForwardedClientCertificateTests {
    private static let hash = "468ed33be74eee6556d90c0149c1309e9ba61d6425303443c0748a02dd8de688"
    private static let otherHash = "9ba61d6425303443c0748a02dd8de688468ed33be74eee6556d90c0149c1309e"

    // MARK: Envoy's documented examples

    @Test("Envoy example: one client certificate with only a URI SAN")
    func envoyOneCertificate() throws {
        let header = #"By=http://frontend.lyft.com;Hash=\#(Self.hash);Subject="/C=US/ST=CA/L=San Francisco/OU=Lyft/CN=Test Client";URI=http://testclient.lyft.com"#
        let elements = try ForwardedClientCertificate.parseHeader(header)
        #expect(elements == [
            ForwardedClientCertificate(
                by: ["http://frontend.lyft.com"],
                hash: Self.hash,
                subject: "/C=US/ST=CA/L=San Francisco/OU=Lyft/CN=Test Client",
                uris: ["http://testclient.lyft.com"]
            ),
        ])
    }

    @Test("the brief's variant with a SPIFFE URI")
    func spiffeURI() throws {
        let header = #"By=http://frontend.lyft.com;Hash=\#(Self.hash);Subject="/C=US/ST=CA/L=San Francisco/OU=Lyft/CN=Test Client";URI=spiffe://lyft.com/test"#
        let element = try #require(try ForwardedClientCertificate.parseHeader(header).first)
        #expect(element.uris == ["spiffe://lyft.com/test"])
        #expect(element.certificatePEM == nil && element.chainPEM == nil && element.dnsNames.isEmpty)
    }

    @Test("Envoy example: two client certificates, one element per hop, nearest proxy last")
    func envoyTwoHops() throws {
        let header = "By=http://frontend.lyft.com;Hash=\(Self.hash);URI=http://testclient.lyft.com,"
            + "By=http://backend.lyft.com;Hash=\(Self.otherHash);URI=http://frontend.lyft.com"
        let elements = try ForwardedClientCertificate.parseHeader(header)
        #expect(elements.count == 2)
        #expect(elements[0] == ForwardedClientCertificate(
            by: ["http://frontend.lyft.com"], hash: Self.hash, uris: ["http://testclient.lyft.com"]
        ))
        #expect(elements[1] == ForwardedClientCertificate(
            by: ["http://backend.lyft.com"], hash: Self.otherHash, uris: ["http://frontend.lyft.com"]
        ))
    }

    @Test("Envoy example: URI and several DNS SANs")
    func envoyURIAndDNS() throws {
        let header = #"By=http://frontend.lyft.com;Hash=\#(Self.hash);Subject="/C=US/ST=CA/L=San Francisco/OU=Lyft/CN=Test Client";URI=http://testclient.lyft.com;DNS=lyft.com;DNS=www.lyft.com"#
        let element = try #require(try ForwardedClientCertificate.parseHeader(header).first)
        #expect(element.uris == ["http://testclient.lyft.com"])
        #expect(element.dnsNames == ["lyft.com", "www.lyft.com"])
    }

    @Test("Envoy's integration-test shape: RFC 2253 subject with commas, several URIs, an empty URI")
    func envoyRFC2253Subject() throws {
        let header = #"By=spiffe://lyft.com/backend-team;Hash=\#(Self.hash);Subject="emailAddress=frontend-team@lyft.com,CN=Test Frontend Team,OU=Lyft Engineering,O=Lyft,L=San Francisco,ST=California,C=US";URI=spiffe://lyft.com/frontend-team;URI=spiffe://lyft.com/other;URI=;DNS=lyft.com"#
        let element = try #require(try ForwardedClientCertificate.parseHeader(header).first)
        #expect(element.subject == "emailAddress=frontend-team@lyft.com,CN=Test Frontend Team,OU=Lyft Engineering,O=Lyft,L=San Francisco,ST=California,C=US")
        #expect(element.uris == ["spiffe://lyft.com/frontend-team", "spiffe://lyft.com/other"])
        #expect(element.dnsNames == ["lyft.com"])
    }

    // MARK: Syntax

    @Test("keys are case-insensitive and unknown keys are ignored")
    func keysAndUnknownKeys() throws {
        let header = "by=spiffe://proxy;HASH=abc;uRi=spiffe://td/app;Dns=app.internal;X-Future=\"a,b;c\";Other=1"
        let element = try #require(try ForwardedClientCertificate.parseHeader(header).first)
        #expect(element == ForwardedClientCertificate(
            by: ["spiffe://proxy"], hash: "abc", uris: ["spiffe://td/app"], dnsNames: ["app.internal"]
        ))
    }

    @Test("quoted values: escaped quotes, and literal commas, semicolons and equals signs")
    func quotedValues() throws {
        let header = #"Subject="CN=a \"quoted\" name,O=x;y=z";By="spiffe://a,b";URI="spiffe://td/p=q;r",DNS="second.example""#
        let elements = try ForwardedClientCertificate.parseHeader(header)
        #expect(elements.count == 2)
        #expect(elements[0].subject == #"CN=a "quoted" name,O=x;y=z"#)
        #expect(elements[0].by == ["spiffe://a,b"])
        #expect(elements[0].uris == ["spiffe://td/p=q;r"])
        #expect(elements[1].dnsNames == ["second.example"])
    }

    @Test("other backslash pairs in quotes are kept, so RFC 2253 escapes survive")
    func backslashPairsKept() throws {
        let elements = try ForwardedClientCertificate.parseHeader(#"Subject="CN=a\,b+O=c\\";URI=x"#)
        #expect(elements.first?.subject == #"CN=a\,b+O=c\\"#)
    }

    @Test("spaces around elements and pairs are ignored; an equals sign may appear in an unquoted value")
    func whitespaceAndEquals() throws {
        let elements = try ForwardedClientCertificate.parseHeader(" By=a ; Hash=h==  ,\tURI=spiffe://x/y ")
        #expect(elements == [
            ForwardedClientCertificate(by: ["a"], hash: "h=="),
            ForwardedClientCertificate(uris: ["spiffe://x/y"]),
        ])
    }

    @Test("By and URI may repeat; an empty Subject is nil")
    func repeatsAndEmptySubject() throws {
        let element = try #require(try ForwardedClientCertificate.parseHeader(#"By=a;By=b;Subject="";URI=u1;URI=u2"#).first)
        #expect(element.by == ["a", "b"])
        #expect(element.subject == nil)
        #expect(element.uris == ["u1", "u2"])
    }

    // MARK: Certificates

    @Test("a real PEM, percent-encoded as nginx's $ssl_client_escaped_cert does, decodes and parses", arguments: [true, false])
    func nginxEncodedCertificate(quoted: Bool) throws {
        let authority = try DevCertificateAuthority()
        let client = try authority.issueClient(ClientCertificateRequest(commonName: "app", spiffeIDs: ["spiffe://td/app"]))
        let pem = client.certificatePEM + "\n"
        let encoded = XFCCTestSupport.percentEncoded(pem)
        #expect(!encoded.contains("\n") && !encoded.contains("+") && !encoded.contains("/") && encoded.contains("%0A"))
        let value = quoted ? "\"\(encoded)\"" : encoded
        let header = "By=spiffe://td/proxy;Hash=\(Self.hash);Cert=\(value);URI=spiffe://td/app"
        let element = try #require(try ForwardedClientCertificate.parseHeader(header).first)
        #expect(element.certificatePEM == pem)
        #expect(try element.certificate() == client.certificate)
        #expect(try element.chain().isEmpty)
    }

    @Test("a Chain holds the leaf and the CA; '+' is not decoded as a space")
    func chain() throws {
        let authority = try DevCertificateAuthority()
        let client = try authority.issueClient(ClientCertificateRequest(commonName: "app"))
        let chainPEM = client.certificatePEM + "\n" + authority.certificatePEM + "\n"
        // Only newlines, spaces and quotes encoded: base64's '+', '/' and '=' stay as they are.
        let lax = chainPEM
            .replacingOccurrences(of: "\n", with: "%0A")
            .replacingOccurrences(of: " ", with: "%20")
        let elements = try ForwardedClientCertificate.parseHeader(
            "By=p;Chain=\"\(lax)\",By=q;Cert=\(XFCCTestSupport.percentEncoded(client.certificatePEM))"
        )
        #expect(elements.count == 2)
        #expect(elements[0].chainPEM == chainPEM)
        #expect(try elements[0].chain() == [client.certificate, authority.certificate])
        #expect(try elements[0].certificate() == nil)
        #expect(try elements[1].certificate() == client.certificate)
    }

    @Test("a Cert that is not a certificate fails certificate(), not parsing")
    func certThatIsNotACertificate() throws {
        let element = try #require(try ForwardedClientCertificate.parseHeader("Cert=hello%20world").first)
        #expect(element.certificatePEM == "hello world")
        #expect(throws: ForwardedClientCertificateError(.invalidCertificate, "")) { try element.certificate() }
        let chainElement = try #require(try ForwardedClientCertificate.parseHeader("Chain=nothing").first)
        #expect(throws: ForwardedClientCertificateError(.invalidCertificate, "")) { try chainElement.chain() }
    }

    // MARK: Refusals

    @Test(
        "malformed headers are refused with the right code",
        arguments: [
            ("", "EMPTY"),
            (" \t ", "EMPTY"),
            ("By=a,,By=b", "SYNTAX"),
            ("By=a,", "SYNTAX"),
            (",By=a", "SYNTAX"),
            ("By=a;;URI=b", "SYNTAX"),
            ("By=a;", "SYNTAX"),
            ("By", "SYNTAX"),
            ("By=a;URI", "SYNTAX"),
            ("=a", "SYNTAX"),
            ("By =a", "SYNTAX"),
            (#"Subject="CN=a"#, "SYNTAX"),
            (#"Subject="CN=a\""#, "SYNTAX"),
            (#"Subject="CN=a"x;URI=b"#, "SYNTAX"),
            (#"By=a"b"#, "SYNTAX"),
            ("By=a\nb", "SYNTAX"),
            ("By=a\u{0}", "SYNTAX"),
            ("By=a\u{7F}", "SYNTAX"),
            ("Cert=%zz", "BAD_PERCENT_ENCODING"),
            ("Cert=abc%4", "BAD_PERCENT_ENCODING"),
            ("Chain=abc%", "BAD_PERCENT_ENCODING"),
            ("Cert=%FF%FE", "BAD_PERCENT_ENCODING"),
            ("Cert=a;Cert=b", "DUPLICATE_KEY"),
            ("Hash=a;hash=b", "DUPLICATE_KEY"),
            (#"Subject="a";SUBJECT="b""#, "DUPLICATE_KEY"),
            ("Chain=a;Chain=a", "DUPLICATE_KEY"),
            ("Foo=bar", "NO_RECOGNISED_KEY"),
            ("By=a,Foo=bar;Baz=1", "NO_RECOGNISED_KEY"),
        ]
    )
    func refusals(header: String, code: String) {
        let error = #expect(throws: ForwardedClientCertificateError.self) {
            try ForwardedClientCertificate.parseHeader(header)
        }
        #expect(error?.code.name == code, "\(String(reflecting: header)): \(error?.message ?? "")")
        #expect(error?.message.isEmpty == false)
    }

    @Test("an error names the element")
    func errorNamesElement() {
        let error = #expect(throws: ForwardedClientCertificateError.self) {
            try ForwardedClientCertificate.parseHeader("By=a;URI=b,By=c;Hash=1;Hash=2")
        }
        #expect(error?.message == "element 2 has Hash more than once")
    }

    @Test("16 elements are accepted, 17 refused")
    func elementLimit() throws {
        let sixteen = Array(repeating: "By=p;URI=spiffe://td/a", count: 16).joined(separator: ",")
        #expect(try ForwardedClientCertificate.parseHeader(sixteen).count == 16)
        #expect(throws: ForwardedClientCertificateError(.tooLarge, "")) {
            try ForwardedClientCertificate.parseHeader(sixteen + ",By=q")
        }
    }

    @Test("a header of 64 KiB is accepted, one byte more refused")
    func lengthLimit() throws {
        let prefix = "By=p;Hash="
        let atLimit = prefix + String(repeating: "a", count: ForwardedClientCertificate.maximumHeaderLength - prefix.utf8.count)
        #expect(try ForwardedClientCertificate.parseHeader(atLimit).count == 1)
        #expect(throws: ForwardedClientCertificateError(.tooLarge, "")) {
            try ForwardedClientCertificate.parseHeader(atLimit + "a")
        }
    }

    @Test("random and mutated headers only parse or throw, quickly")
    func fuzz() throws {
        var generator = XFCCTestSupport.SeededGenerator(seed: 0xFCC_2024)
        let alphabet = Array(#"By=Hash=Cert=Chain=Subject=URI=DNS=by,;="\%0aF \#t"#.utf8) + [0x00, 0x0A, 0x7F, 0xC3, 0xA9]
        let authority = try DevCertificateAuthority()
        let client = try authority.issueClient(ClientCertificateRequest(commonName: "fuzz"))
        let seed = Array(
            (#"By=spiffe://p;Hash=\#(Self.hash);Cert="\#(XFCCTestSupport.percentEncoded(client.certificatePEM))";Subject="CN=a\"b,c";URI=spiffe://td/x;DNS=a,By=q;URI=y"#).utf8
        )
        let clock = ContinuousClock()
        let start = clock.now
        var parsed = 0
        for iteration in 0..<6_000 {
            var bytes: [UInt8]
            if iteration.isMultiple(of: 2) {
                let length = Int.random(in: 0...200, using: &generator)
                bytes = (0..<length).map { _ in
                    Bool.random(using: &generator)
                        ? alphabet.randomElement(using: &generator)!
                        : UInt8.random(in: 0...255, using: &generator)
                }
            } else {
                bytes = seed
                for _ in 0..<Int.random(in: 1...6, using: &generator) {
                    let position = Int.random(in: 0..<bytes.count, using: &generator)
                    switch Int.random(in: 0..<3, using: &generator) {
                    case 0: bytes[position] = alphabet.randomElement(using: &generator)!
                    case 1: bytes.remove(at: position)
                    default: bytes.insert(alphabet.randomElement(using: &generator)!, at: position)
                    }
                }
            }
            let header = String(decoding: bytes, as: UTF8.self)
            do {
                let elements = try ForwardedClientCertificate.parseHeader(header)
                #expect((1...ForwardedClientCertificate.maximumElementCount).contains(elements.count))
                for element in elements {
                    _ = try? element.certificate()
                    _ = try? element.chain()
                }
                parsed += 1
            } catch {
                #expect(!error.message.isEmpty)
            }
        }
        #expect(parsed > 0)
        #expect(clock.now - start < .seconds(20))
    }
}

enum XFCCTestSupport {
    /// Percent-encodes everything but RFC 3986's unreserved characters, as nginx's
    /// `$ssl_client_escaped_cert` and Envoy's `Cert` do.
    static func percentEncoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                result += String(format: "%%%02X", byte)
            }
        }
        return result
    }

    /// SplitMix64, so that a failing fuzz input can be reproduced from the seed.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64

        init(seed: UInt64) { state = seed }

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
