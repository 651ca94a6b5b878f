import KMSCore
import KMSCrypto
import Testing

/// ``RootKey`` wrapping of ``VersionMaterial`` of every kind: wrapped material unwraps as
/// the same key for its own spec only; the accessors of the other kinds refuse it.
@Suite struct VersionMaterialTests {
    static let message = Array("version material".utf8)

    /// Material of `spec`; asymmetric keys are the shared ones, so RSA 3072 and 4096 are
    /// generated once per run.
    static func material(_ spec: KeySpec) throws -> VersionMaterial {
        spec.isAsymmetric ? .asymmetric(try SharedKeys.key(spec)) : try VersionMaterial.generate(for: spec)
    }

    /// Whether two materials hold the same key, told by what the key does.
    static func expectSameKey(_ lhs: VersionMaterial, _ rhs: VersionMaterial, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(lhs.spec == rhs.spec, sourceLocation: sourceLocation)
        switch lhs {
        case .symmetric(let key):
            #expect(try rhs.symmetricKey() == key, sourceLocation: sourceLocation)
        case .mac(let key):
            let algorithm = key.spec.macAlgorithms[0]
            #expect(try rhs.macKey().mac(for: message, algorithm: algorithm) == key.mac(for: message, algorithm: algorithm), sourceLocation: sourceLocation)
        case .asymmetric(let key):
            let other = try rhs.privateKey()
            #expect(other.pkcs8 == key.pkcs8, sourceLocation: sourceLocation)
            #expect(other.publicKey.subjectPublicKeyInfo == key.publicKey.subjectPublicKeyInfo, sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: KeySpec.allCases)
    func wrappedMaterialUnwrapsForItsOwnSpecOnly(spec: KeySpec) throws {
        let root = try RootKeyTests.makeRootKey()
        let keyID = KeyID.random()
        let material = try Self.material(spec)
        #expect(material.spec == spec)
        let wrapped = root.wrap(material, keyID: keyID, version: 3)
        #expect(wrapped.first == 0x01)

        let unwrapped = try root.unwrap(wrapped, spec: spec, keyID: keyID, version: 3)
        try Self.expectSameKey(material, unwrapped)

        for other in KeySpec.allCases where other != spec {
            #expect(throws: KMSError(.internalFailure, ""), "unwrapped as \(other.rawValue)") {
                try root.unwrap(wrapped, spec: other, keyID: keyID, version: 3)
            }
        }
        #expect(throws: KMSError(.internalFailure, "")) { try root.unwrap(wrapped, spec: spec, keyID: keyID, version: 4) }
        #expect(throws: KMSError(.internalFailure, "")) { try root.unwrap(wrapped, spec: spec, keyID: .random(), version: 3) }
        var tampered = wrapped
        tampered[tampered.count - 1] ^= 0x01
        #expect(throws: KMSError(.internalFailure, "")) { try root.unwrap(tampered, spec: spec, keyID: keyID, version: 3) }
    }

    /// SYMMETRIC_DEFAULT material wrapped either way unwraps either way: the older
    /// `KeyMaterial` methods and the `VersionMaterial` ones share one format.
    @Test func symmetricMaterialKeepsTheOlderFormat() throws {
        let root = try RootKeyTests.makeRootKey()
        let keyID = KeyID.random()
        let material = KeyMaterial.generate()
        let wrappedAsVersion = root.wrap(VersionMaterial.symmetric(material), keyID: keyID, version: 1)
        #expect(wrappedAsVersion.count == RootKey.wrappedByteCount)
        #expect(try root.unwrap(wrappedAsVersion, keyID: keyID, version: 1) == material)
        let wrappedAsKey = root.wrap(material, keyID: keyID, version: 1)
        #expect(try root.unwrap(wrappedAsKey, spec: .symmetricDefault, keyID: keyID, version: 1).symmetricKey() == material)
    }

    /// Material of any other kind does not unwrap through the SYMMETRIC_DEFAULT-only method,
    /// not even a 32-byte HMAC_256 key.
    @Test(arguments: KeySpec.allCases.filter { $0 != .symmetricDefault })
    func otherKindsDoNotUnwrapAsSymmetricMaterial(spec: KeySpec) throws {
        let root = try RootKeyTests.makeRootKey()
        let keyID = KeyID.random()
        let wrapped = root.wrap(try Self.material(spec), keyID: keyID, version: 1)
        #expect(throws: KMSError(.internalFailure, "")) { try root.unwrap(wrapped, keyID: keyID, version: 1) }
    }

    /// Exactly one of the three accessors answers, the one of the material's kind.
    @Test(arguments: KeySpec.allCases)
    func onlyTheAccessorOfTheMaterialsKindAnswers(spec: KeySpec) throws {
        let material = try Self.material(spec)
        let accessors: [(String, () throws -> Void)] = [
            ("symmetric", { _ = try material.symmetricKey() }),
            ("asymmetric", { _ = try material.privateKey() }),
            ("mac", { _ = try material.macKey() }),
        ]
        let expected = spec == .symmetricDefault ? "symmetric" : spec.isAsymmetric ? "asymmetric" : "mac"
        for (kind, access) in accessors {
            if kind == expected {
                #expect(throws: Never.self, "\(kind)") { try access() }
            } else {
                #expect(throws: KMSError(.invalidKeyUsage, ""), "\(kind)") { try access() }
            }
        }
    }

    /// RSA 3072 and 4096 are left out: the shared keys stand for them elsewhere.
    @Test(arguments: KeySpec.allCases.filter { $0 != .rsa3072 && $0 != .rsa4096 })
    func generatedMaterialHasItsSpec(spec: KeySpec) throws {
        #expect(try VersionMaterial.generate(for: spec).spec == spec)
    }
}
