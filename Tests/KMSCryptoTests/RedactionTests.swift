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

    static func expectNoBytes(in value: Any, sourceLocation: SourceLocation = #_sourceLocation) {
        for text in renderings(of: value) {
            let lowered = text.lowercased()
            #expect(!lowered.contains("dead"), "\(text)", sourceLocation: sourceLocation)
            #expect(!lowered.contains("beef"), "\(text)", sourceLocation: sourceLocation)
            #expect(!text.contains("222"), "\(text)", sourceLocation: sourceLocation)
            #expect(!text.contains("173"), "\(text)", sourceLocation: sourceLocation)
            #expect(!text.contains("SymmetricKey"), "\(text)", sourceLocation: sourceLocation)
        }
        #expect(Mirror(reflecting: value).children.isEmpty, sourceLocation: sourceLocation)
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
}
