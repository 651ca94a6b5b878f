import Foundation
import KMSCore
import KMSCrypto

/// The test vectors published in docs/CIPHERTEXT.md, one per format, from the same inputs.
/// They must decrypt forever: never change them.
enum CiphertextTestVector {
    static let materialHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    static let keyIDString = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"
    static let version: KeyVersion = 258
    static let saltHex = "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    static let nonceHex = "c0c1c2c3c4c5c6c7c8c9cacb"
    static let contextPairs = ["tenant": "acme", "purpose": "test-vector"]
    static let contextEncodingHex = "00020007707572706f7365000b746573742d766563746f72000674656e616e74000461636d65"
    static let plaintext = "swift-kms test vector plaintext"
    /// The format 1 blob (HKDF-SHA256 message key), written by swift-kms before format 2.
    static let formatOneBlobHex = "011b4e28ba2fa141d2883f0016d3cca42700000102"
        + "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
        + "c0c1c2c3c4c5c6c7c8c9cacb"
        + "ea4d297823ed5c5f390177ab3fe6b4a8392034277404a84aa6cdd210cd841f"
        + "da91527640a336130d206b669ff3d34f"
    /// The format 2 blob (SP 800-108 counter-mode HMAC-SHA256 message key) of the same inputs.
    static let formatTwoBlobHex = "021b4e28ba2fa141d2883f0016d3cca42700000102"
        + "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
        + "c0c1c2c3c4c5c6c7c8c9cacb"
        + "5a2e87b9ca6b599339dcd1390937067a75e6c98cb89c0f38a1b4674c2361b3"
        + "c9425dda92f6913789f5a508a6b2f9bf"
    /// The format 2 message key: HMAC-SHA256(material, [1] ‖ label ‖ 0x00 ‖ blob[0..<53] ‖ [256]).
    static let formatTwoMessageKeyHex = "7235022b9a695377b3491c2cc574b50a686cff2ac2ac78a69c77c46ede3c0888"

    /// The vector blob of `format`.
    static func blobHex(_ format: CiphertextBlob.Format) -> String {
        switch format {
        case .hkdf: formatOneBlobHex
        case .counterModeHMAC: formatTwoBlobHex
        }
    }

    struct Inputs {
        let material: KeyMaterial
        let keyID: KeyID
        let salt: [UInt8]
        let nonce: [UInt8]
        let context: EncryptionContext
    }

    static func inputs() throws -> Inputs {
        struct BadVector: Error {}
        guard let materialBytes = [UInt8](hex: materialHex),
              let keyID = KeyID(string: keyIDString),
              let salt = [UInt8](hex: saltHex),
              let nonce = [UInt8](hex: nonceHex)
        else { throw BadVector() }
        return Inputs(
            material: try KeyMaterial(bytes: materialBytes),
            keyID: keyID,
            salt: salt,
            nonce: nonce,
            context: try EncryptionContext(contextPairs)
        )
    }
}
