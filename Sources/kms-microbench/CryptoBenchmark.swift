import Crypto
import KMSCore
import KMSCrypto

/// The envelope core sealing a 256-byte plaintext into a ciphertext blob, against the
/// floor of raw swift-crypto HKDF-SHA256 and AES-256-GCM sealing the same bytes.
enum CryptoBenchmark {
    static let plaintextBytes = 256

    static func run(seconds: Double) throws -> [Measurement] {
        let keyID = KeyID.random()
        let material = KeyMaterial.generate()
        let context = try EncryptionContext(["tenant": "acme"])
        let plaintext = SecretBytes.random(count: plaintextBytes)
        let rawKey = SymmetricKey(size: .bits256)
        let rawBytes = [UInt8](repeating: 7, count: plaintextBytes)
        let salt = [UInt8](repeating: 1, count: 32)
        let info = Array("swift-kms/v1/encrypt".utf8)
        let aad = [UInt8](repeating: 2, count: 65)

        let blob = EnvelopeCipher.seal(plaintext, keyID: keyID, version: 1, material: material, context: context)
        return Measurement.interleaved([
            ("crypto floor: HKDF-SHA256 + AES-256-GCM seal (swift-crypto)", {
                let messageKey = HKDF<SHA256>.deriveKey(inputKeyMaterial: rawKey, salt: salt, info: info, outputByteCount: 32)
                let sealed = try? AES.GCM.seal(rawBytes, using: messageKey, nonce: AES.GCM.Nonce(), authenticating: aad)
                Sink.consume(sealed?.tag.count ?? 0)
            }),
            ("crypto: EnvelopeCipher.seal of \(plaintextBytes) bytes", {
                Sink.consume(EnvelopeCipher.seal(plaintext, keyID: keyID, version: 1, material: material, context: context).count)
            }),
            ("crypto: EnvelopeCipher.open of the same blob", {
                Sink.consume((try? EnvelopeCipher.open(blob, keyID: keyID, version: 1, material: material, context: context))?.count ?? 0)
            }),
        ], seconds: seconds)
    }
}
