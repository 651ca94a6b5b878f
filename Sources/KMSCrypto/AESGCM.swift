import Crypto
import Foundation

/// The AES-256-GCM calls every KMSCrypto format uses: 96-bit nonces, 128-bit tags, and the
/// ciphertext immediately followed by its tag.
package enum AESGCM {
    /// The key length, in bytes.
    package static let keyByteCount = 32
    /// The nonce length, in bytes.
    package static let nonceByteCount = 12
    /// The tag length, in bytes.
    package static let tagByteCount = 16

    /// Encrypts `plaintext` and returns the ciphertext followed by the 16-byte tag.
    ///
    /// - Precondition: `key` is 256 bits and `nonce` is 12 bytes; every caller in this module
    ///   guarantees both, so a failure here is a programming error.
    package static func seal(
        _ plaintext: some DataProtocol,
        key: SymmetricKey,
        nonce: some DataProtocol,
        authenticating aad: some DataProtocol
    ) -> [UInt8] {
        var sealed: [UInt8] = []
        seal(plaintext, key: key, nonce: nonce, authenticating: aad, appendingTo: &sealed)
        return sealed
    }

    /// Encrypts `plaintext` and appends the ciphertext followed by the 16-byte tag to `output`.
    ///
    /// - Precondition: as ``seal(_:key:nonce:authenticating:)``.
    package static func seal(
        _ plaintext: some DataProtocol,
        key: SymmetricKey,
        nonce: some DataProtocol,
        authenticating aad: some DataProtocol,
        appendingTo output: inout [UInt8]
    ) {
        precondition(key.bitCount == keyByteCount * 8, "AES-GCM key must be 256 bits")
        precondition(nonce.count == nonceByteCount, "AES-GCM nonce must be 12 bytes")
        do {
            let box = try AES.GCM.seal(plaintext, using: key, nonce: AES.GCM.Nonce(data: nonce), authenticating: aad)
            output.append(contentsOf: box.ciphertext)
            output.append(contentsOf: box.tag)
        } catch {
            preconditionFailure("AES-GCM seal failed with a valid key and nonce: \(error)")
        }
    }

    /// Decrypts a ciphertext followed by its 16-byte tag.
    ///
    /// - Returns: The plaintext, or `nil` when the key, nonce or AAD differ from sealing, the
    ///   bytes were changed, or any length is wrong. No partial plaintext is ever returned.
    package static func open(
        _ ciphertextAndTag: some Collection<UInt8>,
        key: SymmetricKey,
        nonce: some DataProtocol,
        authenticating aad: some DataProtocol
    ) -> SecretBytes? {
        guard key.bitCount == keyByteCount * 8, nonce.count == nonceByteCount,
              ciphertextAndTag.count >= tagByteCount
        else { return nil }
        let tagStart = ciphertextAndTag.index(ciphertextAndTag.endIndex, offsetBy: -tagByteCount)
        guard let box = try? AES.GCM.SealedBox(
            nonce: AES.GCM.Nonce(data: nonce),
            ciphertext: Array(ciphertextAndTag[..<tagStart]),
            tag: Array(ciphertextAndTag[tagStart...])
        ), var plaintext = try? AES.GCM.open(box, using: key, authenticating: aad)
        else { return nil }
        defer { plaintext.resetBytes(in: 0..<plaintext.count) }
        return SecretBytes(copying: plaintext)
    }
}
