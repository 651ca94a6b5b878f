import Foundation
import KMSCore
import KMSCrypto
import KMSService
import KMSStorage
import Testing

/// Rules that depend on what is stored about a key: its state, its usage, and that its
/// material exists on disk only wrapped.
@Suite struct StoredKeyRulesTests {
    let admin = ServiceFixture.admin

    /// Stores a key with the given state and usage directly, as later lifecycle RPCs will.
    private func storeKey(state: KeyState, usage: KeyUsage, in fixture: ServiceFixture) async throws -> KeyID {
        let keyID = KeyID.random()
        let metadata = KeyMetadata(
            keyID: keyID, description: "", keySpec: .symmetricDefault, keyUsage: usage, keyState: state,
            creationDate: Date(), currentVersion: 1, creator: admin.principal
        )
        let wrapped = fixture.rootKey.wrap(KeyMaterial.generate(), keyID: keyID, version: 1)
        try await fixture.store.createKey(
            StoredKey(metadata: metadata, policy: #"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}]}"#),
            firstVersion: WrappedKeyVersion(keyID: keyID, version: 1, wrappedMaterial: wrapped, creationDate: Date())
        )
        return keyID
    }

    @Test(arguments: [
        (KeyState.disabled, KeyUsage.encryptDecrypt, KMSError.Code.keyDisabled),
        (.pendingDeletion, .encryptDecrypt, .keyPendingDeletion),
        (.enabled, .signVerify, .invalidKeyUsage),
        (.enabled, .generateVerifyMAC, .invalidKeyUsage),
    ])
    func cryptographyIsRefused(state: KeyState, usage: KeyUsage, expected: KMSError.Code) async throws {
        try await withService { fixture in
            let keyID = try await storeKey(state: state, usage: usage, in: fixture).description
            #expect(await errorCode { try await fixture.service.encrypt(EncryptRequest(keyID: keyID, plaintext: SecretBytes("x")), context: admin) } == expected)
            #expect(await errorCode { try await fixture.service.generateDataKey(GenerateDataKeyRequest(keyID: keyID, keySpec: .aes256), context: admin) } == expected)
            // Metadata calls still work.
            let described = try await fixture.service.describeKey(keyID: keyID, context: admin)
            #expect(described.keyState == state)
        }
    }

    @Test func decryptIsRefusedOnceTheKeyIsDisabled() async throws {
        try await withService { fixture in
            let keyID = try await storeKey(state: .enabled, usage: .encryptDecrypt, in: fixture)
            let blob = try await fixture.service.encrypt(EncryptRequest(keyID: keyID.description, plaintext: SecretBytes("x")), context: admin).ciphertextBlob
            let disabled = try await storeKey(state: .disabled, usage: .encryptDecrypt, in: fixture)
            let disabledBlob = blob.replacingKeyID(with: disabled)
            #expect(await errorCode { try await fixture.service.decrypt(DecryptRequest(ciphertextBlob: disabledBlob), context: admin) } == .keyDisabled)
        }
    }

    @Test func keyMaterialIsOnDiskOnlyWrapped() async throws {
        try await withService { fixture in
            let keyID = try await fixture.createKey()
            _ = try await fixture.service.encrypt(EncryptRequest(keyID: keyID.description, plaintext: SecretBytes("x")), context: admin)
            let wrapped = try #require(try await fixture.store.keyVersion(keyID, version: 1))
            let material = try fixture.rootKey.unwrap(wrapped.wrappedMaterial, keyID: keyID, version: 1)
            let files = try fixture.allFileBytes()
            #expect(files.range(of: Data(wrapped.wrappedMaterial)) != nil, "the search must see the stored row")
            #expect(files.range(of: material.withUnsafeBytes { Data($0) }) == nil)
        }
    }
}

extension Array where Element == UInt8 {
    /// The same blob claiming another key id (bytes 1..<17), for state checks that run
    /// before authentication of the blob.
    func replacingKeyID(with keyID: KeyID) -> [UInt8] {
        var copy = self
        copy.replaceSubrange(1..<17, with: keyID.bytes)
        return copy
    }
}
