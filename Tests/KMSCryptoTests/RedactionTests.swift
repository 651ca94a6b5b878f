import Crypto
import KMSCore
import KMSCrypto
import Testing

/// Secrets print only their size, however they are printed.
@Suite struct RedactionTests {
    /// 32 recognisable bytes: 0xde 0xad 0xbe 0xef repeated.
    static let pattern: [UInt8] = Array(repeating: [0xde, 0xad, 0xbe, 0xef], count: 8).flatMap { $0 }

    /// Every way a value can end up in a log line.
    static func renderings(of value: Any) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        return [
            String(describing: value),
            String(reflecting: value),
            "\(value)",
            String(describing: [value]),
            String(describing: Optional(value) as Any),
            dumped,
            String(describing: Mirror(reflecting: value).children.map { $0.value }),
        ]
    }

    /// No rendering of `value` shows the pattern's bytes. A value with `childless` false may
    /// have children in its mirror (an enum's payload), each of which must show none either.
    static func expectNoBytes(in value: Any, childless: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) {
        for text in renderings(of: value) {
            let lowered = text.lowercased()
            #expect(!lowered.contains("dead"), "\(text)", sourceLocation: sourceLocation)
            #expect(!lowered.contains("beef"), "\(text)", sourceLocation: sourceLocation)
            #expect(!text.contains("222"), "\(text)", sourceLocation: sourceLocation)
            #expect(!text.contains("173"), "\(text)", sourceLocation: sourceLocation)
            #expect(!text.contains("SymmetricKey"), "\(text)", sourceLocation: sourceLocation)
        }
        let children = Mirror(reflecting: value).children
        if childless {
            #expect(children.isEmpty, sourceLocation: sourceLocation)
        } else {
            for child in children {
                expectNoBytes(in: child.value, sourceLocation: sourceLocation)
            }
        }
    }

    /// A P-256 key whose private scalar is the pattern (it is below the group order).
    static func patternP256Key() throws -> AsymmetricPrivateKey {
        let der = try P256.Signing.PrivateKey(rawRepresentation: pattern).derRepresentation
        return try AsymmetricPrivateKey(pkcs8: SecretBytes(copying: der), spec: .eccNistP256)
    }

    /// An Ed25519 key whose seed is the pattern, in RFC 8410 PKCS#8.
    static func patternEd25519Key() throws -> AsymmetricPrivateKey {
        let header = try #require([UInt8](hex: "302e020100300506032b657004220420"))
        return try AsymmetricPrivateKey(pkcs8: SecretBytes(copying: header + pattern), spec: .ed25519)
    }

    @Test func secretBytesPrintOnlyTheirLength() {
        let secret = SecretBytes(copying: Self.pattern)
        #expect(String(describing: secret) == "SecretBytes(32 bytes)")
        #expect(String(reflecting: secret) == "SecretBytes(32 bytes)")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(dumped.contains("SecretBytes(32 bytes)"))
        Self.expectNoBytes(in: secret)
    }

    @Test func keyMaterialPrintsOnlyItsSize() throws {
        let material = try KeyMaterial(bytes: Self.pattern)
        #expect(String(describing: material) == "KeyMaterial(256 bits)")
        #expect(String(reflecting: material) == "KeyMaterial(256 bits)")
        #expect(String(describing: KeyMaterial.generate()) == "KeyMaterial(256 bits)")
        Self.expectNoBytes(in: material)
    }

    @Test func rootKeyPrintsOnlyItsSize() throws {
        let root = try RootKey(bytes: Self.pattern)
        #expect(String(describing: root) == "RootKey(256 bits)")
        #expect(String(reflecting: root) == "RootKey(256 bits)")
        Self.expectNoBytes(in: root)
    }

    @Test func aStructHoldingSecretsDumpsNoBytes() throws {
        struct CacheEntry {
            let keyID: KeyID
            let material: KeyMaterial
            let dataKey: SecretBytes
        }
        let entry = CacheEntry(keyID: .random(), material: try KeyMaterial(bytes: Self.pattern), dataKey: SecretBytes(copying: Self.pattern))
        var dumped = ""
        dump(entry, to: &dumped)
        #expect(dumped.contains("KeyMaterial(256 bits)"))
        #expect(dumped.contains("SecretBytes(32 bytes)"))
        #expect(!dumped.lowercased().contains("dead"))
        #expect(!dumped.contains("222"))
    }

    @Test func asymmetricPrivateKeysPrintOnlyTheirSpec() throws {
        let p256 = try Self.patternP256Key()
        let ed25519 = try Self.patternEd25519Key()
        for (key, text) in [(p256, "AsymmetricPrivateKey(ECC_NIST_P256)"), (ed25519, "AsymmetricPrivateKey(ED25519)")] {
            #expect(String(describing: key) == text)
            #expect(String(reflecting: key) == text)
            Self.expectNoBytes(in: key)
        }
        #expect(p256.publicKey.subjectPublicKeyInfo == Array(try P256.Signing.PrivateKey(rawRepresentation: Self.pattern).publicKey.derRepresentation))
    }

    /// Keys whose bytes are not a pattern print exactly their spec, however printed.
    @Test(arguments: KeySpec.allCases.filter(\.isAsymmetric))
    func generatedPrivateKeysRenderAsTheirSpecAlone(spec: KeySpec) throws {
        let key = try SharedKeys.key(spec)
        let text = "AsymmetricPrivateKey(\(spec.rawValue))"
        #expect(String(describing: key) == text)
        #expect(String(reflecting: key) == text)
        var dumped = ""
        dump(key, to: &dumped)
        #expect(dumped == "- \(text)\n")
        #expect(Mirror(reflecting: key).children.isEmpty)
    }

    @Test func macKeysPrintOnlyTheirSpec() {
        let key = MACKey(secret: SecretBytes(copying: Self.pattern), spec: .hmac256)
        #expect(String(describing: key) == "MACKey(HMAC_256)")
        #expect(String(reflecting: key) == "MACKey(HMAC_256)")
        Self.expectNoBytes(in: key)
    }

    /// ``VersionMaterial`` shows its kind and size through the payload's own redacted text.
    @Test func versionMaterialPrintsOnlyItsKind() throws {
        let materials: [(VersionMaterial, String)] = [
            (.symmetric(try KeyMaterial(bytes: Self.pattern)), "KeyMaterial(256 bits)"),
            (.mac(MACKey(secret: SecretBytes(copying: Self.pattern), spec: .hmac512)), "MACKey(HMAC_512)"),
            (.asymmetric(try Self.patternP256Key()), "AsymmetricPrivateKey(ECC_NIST_P256)"),
            (.asymmetric(try Self.patternEd25519Key()), "AsymmetricPrivateKey(ED25519)"),
        ]
        for (material, text) in materials {
            #expect(String(describing: material) == text)
            #expect(String(reflecting: material) == text)
            Self.expectNoBytes(in: material, childless: false)
        }
    }
}
