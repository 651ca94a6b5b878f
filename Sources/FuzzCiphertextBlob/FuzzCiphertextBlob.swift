import FuzzSupport
import KMSCore
import KMSCrypto

// Fuzz target: the ciphertext blob (docs/CIPHERTEXT.md), as Decrypt and ReEncrypt read it
// from a caller.
//
// Properties, for any bytes:
// - `CiphertextBlob.parseHeader` never crashes; it gives the same answer for the bytes as an
//   array and as a slice that does not start at index 0;
// - when it parses, the format is one of the readable ones, the 21-byte prefix written again
//   from what it read (format, key id, big-endian version) is exactly the input's prefix, and
//   the length is within the limits;
// - `EnvelopeCipher.open` under the test vector's key (docs/CIPHERTEXT.md) fails with the one
//   uniform `invalidCiphertext` error whenever the header does not parse, and when it
//   succeeds, sealing the plaintext again in the blob's format with its own salt and nonce
//   gives back exactly the input bytes (so the only blob that opens is one the sealer writes).

private let vectorMaterial = try! KeyMaterial(bytes: Array(0...31))
private let vectorKeyID = KeyID(string: "1b4e28ba-2fa1-41d2-883f-0016d3cca427")!
private let vectorVersion: KeyVersion = 258
private let vectorContext = try! EncryptionContext(["tenant": "acme", "purpose": "test-vector"])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCiphertextBlob(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let blob = Fuzz.bytes(data, size)
    let shifted = ([0xEE] + blob)[1...]

    let parsed = try? CiphertextBlob.parseHeader(blob)
    let parsedFromSlice = try? CiphertextBlob.parseHeader(shifted)
    Fuzz.require(parsed?.keyID == parsedFromSlice?.keyID && parsed?.keyVersion == parsedFromSlice?.keyVersion,
                 "parseHeader differs between an array and a slice of the same bytes")

    let format = blob.first.flatMap(CiphertextBlob.Format.init(rawValue:))
    if let (keyID, version) = parsed {
        Fuzz.require((CiphertextBlob.overheadByteCount...Limits.maxCiphertextBytes).contains(blob.count),
                     "a blob of \(blob.count) bytes parsed")
        Fuzz.require(format != nil, "a blob of unknown format \(blob.first.map(String.init) ?? "none") parsed")
        let rewritten: [UInt8] = [blob[0]] + keyID.bytes
            + [UInt8(truncatingIfNeeded: version >> 24), UInt8(truncatingIfNeeded: version >> 16),
               UInt8(truncatingIfNeeded: version >> 8), UInt8(truncatingIfNeeded: version)]
        Fuzz.require(Array(blob.prefix(CiphertextBlob.keyHeaderByteCount)) == rewritten,
                     "re-encoded header \(Fuzz.hex(rewritten)) differs from the input's")
        Fuzz.require(KeyID(string: keyID.description) == keyID, "key id \(keyID) does not survive its text form")
    }

    // Open under the vector's key, naming the key the blob names (so every check up to the
    // AEAD runs), and under the vector's own id and version.
    let named = parsed ?? (vectorKeyID, vectorVersion)
    for (keyID, version) in [(named.keyID, named.keyVersion), (vectorKeyID, vectorVersion)] {
        do {
            let plaintext = try EnvelopeCipher.open(
                shifted, keyID: keyID, version: version, material: vectorMaterial, context: vectorContext
            )
            guard parsed != nil, let format else {
                Fuzz.require(false, "a blob whose header does not parse opened")
                continue
            }
            let resealed = EnvelopeCipher.seal(
                plaintext, keyID: keyID, version: version, material: vectorMaterial, context: vectorContext,
                format: format,
                salt: blob[CiphertextBlob.saltRange],
                nonce: blob[CiphertextBlob.nonceRange]
            )
            Fuzz.require(resealed == blob, "an opened blob does not seal back to the same bytes")
        } catch {
            Fuzz.require(error == CiphertextBlob.invalid && error.message == CiphertextBlob.invalid.message,
                         "open failed with another error than the uniform one: \(error)")
        }
    }
    return 0
}
