import Foundation
import KMSCore
import KMSCrypto

/// The test vector published in docs/CIPHERTEXT.md. It must decrypt forever: never change it.
enum CiphertextTestVector {
    static let materialHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    static let keyIDString = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"
    static let version: KeyVersion = 258
    static let saltHex = "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    static let nonceHex = "c0c1c2c3c4c5c6c7c8c9cacb"
    static let contextPairs = ["tenant": "acme", "purpose": "test-vector"]
    static let contextEncodingHex = "00020007707572706f7365000b746573742d766563746f72000674656e616e74000461636d65"
    static let plaintext = "swift-kms test vector plaintext"
    static let blobHex = "011b4e28ba2fa141d2883f0016d3cca42700000102"
        + "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
        + "c0c1c2c3c4c5c6c7c8c9cacb"
        + "ea4d297823ed5c5f390177ab3fe6b4a8392034277404a84aa6cdd210cd841f"
        + "da91527640a336130d206b669ff3d34f"

    struct Inputs {
        let material: KeyMaterial
        let keyID: KeyID
        let salt: [UInt8]
        let nonce: [UInt8]
        let context: EncryptionContext
        let blob: [UInt8]
    }

    static func inputs() throws -> Inputs {
        struct BadVector: Error {}
        guard let materialBytes = [UInt8](hex: materialHex),
              let keyID = KeyID(string: keyIDString),
              let salt = [UInt8](hex: saltHex),
              let nonce = [UInt8](hex: nonceHex),
              let blob = [UInt8](hex: blobHex)
        else { throw BadVector() }
        return Inputs(
            material: try KeyMaterial(bytes: materialBytes),
            keyID: keyID,
            salt: salt,
            nonce: nonce,
            context: try EncryptionContext(contextPairs),
            blob: blob
        )
    }
}
