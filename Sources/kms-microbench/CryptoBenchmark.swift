import Crypto
import KMSCore
import KMSCrypto

/// The envelope core sealing a 256-byte plaintext into a ciphertext blob and opening it, in
/// two groups, each against the raw swift-crypto work of its message-key derivation and
/// AES-256-GCM sealing the same bytes:
/// - format 2, written today: floor = a copy of a keyed HMAC-SHA256 state updated with 53
///   header bytes and the length, finalized, then `AES.GCM.seal`;
/// - format 1, still opened: floor = `HKDF<SHA256>.deriveKey`, then `AES.GCM.seal`. Its
///   seal (random salt and nonce drawn as the server drew them) is what the server wrote
///   before format 2: the "before" of the envelope core's before/after comparison.
enum CryptoBenchmark {
    static let plaintextBytes = 256

    static func run(seconds: Double) throws -> [[Measurement]] {
        let keyID = KeyID.random()
        let material = KeyMaterial.generate()
        let context = try EncryptionContext(["tenant": "acme"])
        let plaintext = SecretBytes.random(count: plaintextBytes)
        let rawKey = SymmetricKey(size: .bits256)
        let rawBytes = [UInt8](repeating: 7, count: plaintextBytes)
        let salt = [UInt8](repeating: 1, count: 32)
        let header = [UInt8](repeating: 3, count: 53)
        let lengthSuffix: [UInt8] = [0, 0, 1, 0]
        let info = Array("swift-kms/v1/encrypt".utf8)
        let aad = [UInt8](repeating: 2, count: 65)
        var keyedPrefix = HMAC<SHA256>(key: rawKey)
        keyedPrefix.update(data: [0, 0, 0, 1] + Array("swift-kms/v2/encrypt".utf8) + [0])

        let blob = EnvelopeCipher.seal(plaintext, keyID: keyID, version: 1, material: material, context: context)
        let formatOneBlob = EnvelopeCipher.seal(
            plaintext, keyID: keyID, version: 1, material: material, context: context,
            format: .hkdf, salt: [UInt8](repeating: 4, count: 32), nonce: [UInt8](repeating: 5, count: 12)
        )
        let open = { (blob: [UInt8]) in
            Sink.consume((try? EnvelopeCipher.open(blob, keyID: keyID, version: 1, material: material, context: context))?.count ?? 0)
        }
        let formatTwo = Measurement.interleaved([
            ("crypto floor: keyed HMAC-SHA256 copy + AES-256-GCM seal (swift-crypto)", {
                var hmac = keyedPrefix
                hmac.update(data: header)
                hmac.update(data: lengthSuffix)
                let messageKey = SymmetricKey(data: hmac.finalize())
                let sealed = try? AES.GCM.seal(rawBytes, using: messageKey, nonce: AES.GCM.Nonce(), authenticating: aad)
                Sink.consume(sealed?.tag.count ?? 0)
            }),
            ("crypto: EnvelopeCipher.seal of \(plaintextBytes) bytes (format 2)", {
                Sink.consume(EnvelopeCipher.seal(plaintext, keyID: keyID, version: 1, material: material, context: context).count)
            }),
            ("crypto: EnvelopeCipher.open of that blob (format 2)", { open(blob) }),
        ], seconds: seconds)
        let formatOne = Measurement.interleaved([
            ("crypto floor: HKDF-SHA256 + AES-256-GCM seal (swift-crypto)", {
                let messageKey = HKDF<SHA256>.deriveKey(inputKeyMaterial: rawKey, salt: salt, info: info, outputByteCount: 32)
                let sealed = try? AES.GCM.seal(rawBytes, using: messageKey, nonce: AES.GCM.Nonce(), authenticating: aad)
                Sink.consume(sealed?.tag.count ?? 0)
            }),
            ("crypto: EnvelopeCipher.seal of \(plaintextBytes) bytes in format 1 (before format 2)", {
                let random = secureRandomBytes(count: 44)
                Sink.consume(EnvelopeCipher.seal(
                    plaintext, keyID: keyID, version: 1, material: material, context: context,
                    format: .hkdf, salt: random[..<32], nonce: random[32...]
                ).count)
            }),
            ("crypto: EnvelopeCipher.open of a format 1 blob of \(plaintextBytes) bytes", { open(formatOneBlob) }),
        ], seconds: seconds)
        return [formatTwo, formatOne]
    }
}
