import Crypto
import Foundation
import KMSCore

/// HKDF with SHA-256 (RFC 5869) that rejects output lengths swift-crypto would trap on.
///
/// swift-crypto's `HKDF.deriveKey` stops the process for an output length of 0 or less, or
/// more than 255 hash lengths; this wrapper checks first and throws instead.
package enum HKDFSHA256 {
    /// The output lengths HKDF-SHA256 defines: 1 through 255 × 32 = 8160 bytes.
    package static let outputByteCounts = 1...(255 * SHA256.byteCount)

    /// Derives `outputByteCount` bytes from `inputKeyMaterial`, `salt` and `info`.
    ///
    /// - Throws: `KMSError` `.internalFailure` when `outputByteCount` is outside
    ///   ``outputByteCounts``; callers never pass a length a client chose.
    package static func deriveKey(
        inputKeyMaterial: SymmetricKey,
        salt: some DataProtocol,
        info: some DataProtocol,
        outputByteCount: Int
    ) throws(KMSError) -> SymmetricKey {
        guard outputByteCounts.contains(outputByteCount) else {
            throw KMSError(
                .internalFailure,
                "HKDF-SHA256 output length \(outputByteCount) is outside \(outputByteCounts.lowerBound)...\(outputByteCounts.upperBound)"
            )
        }
        return HKDF<SHA256>.deriveKey(
            inputKeyMaterial: inputKeyMaterial, salt: salt, info: info, outputByteCount: outputByteCount
        )
    }
}
