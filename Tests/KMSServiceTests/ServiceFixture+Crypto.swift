import KMSCore
import KMSCrypto
import KMSService

/// Short forms of Encrypt and Decrypt as the fixture's admin, for tests about versions.
extension KeyManagementService {
    /// Encrypts `text` under the key's current version.
    func encrypt(_ text: String, under keyID: KeyID) async throws -> EncryptResult {
        try await encrypt(EncryptRequest(keyID: keyID.description, plaintext: SecretBytes(text)), context: ServiceFixture.admin)
    }

    /// Decrypts a blob made by `encrypt(_:under:)` back to its text.
    func decryptText(_ blob: [UInt8]) async throws -> String {
        let result = try await decrypt(DecryptRequest(ciphertextBlob: blob), context: ServiceFixture.admin)
        return String(decoding: result.plaintext.bytes, as: UTF8.self)
    }
}
