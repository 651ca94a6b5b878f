import Crypto
import Foundation

/// The per-message key of ciphertext format 2: the key-derivation function in counter mode of
/// NIST SP 800-108r1 (§4.1) with HMAC-SHA256 as its PRF, for one 256-bit output block.
///
/// ```
/// message key = HMAC-SHA256(key version's material,
///                           [1]₃₂ ‖ "swift-kms/v2/encrypt" ‖ 0x00 ‖ context ‖ [256]₃₂)
/// ```
///
/// where the context is the blob's first 53 bytes (format, key id, key version, random salt).
/// The HMAC state keyed by the material and fed with the fixed prefix (counter, label,
/// separator) is computed once, when the material is loaded, and copied for every message:
/// a derivation then costs one copy, one update and one finalization, about a tenth of HKDF.
/// The keyed state is as secret as the material itself; this type never prints it.
struct CounterModeKDF: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// SP 800-108's Label: names the purpose of the derived key.
    static let label = Array("swift-kms/v2/encrypt".utf8)
    /// [i]₃₂ for the one block derived: the counter starts at 1.
    static let counter: [UInt8] = [0, 0, 0, 1]
    /// [L]₃₂: the derived key's length in bits, 256, big-endian.
    static let outputBitLength: [UInt8] = [0, 0, 1, 0]

    /// HMAC-SHA256 keyed by the material, with `counter ‖ label ‖ 0x00` already absorbed.
    private let keyedPrefix: HMAC<SHA256>

    /// Keys the PRF with `material` and absorbs the fixed prefix.
    init(material: SymmetricKey) {
        var hmac = HMAC<SHA256>(key: material)
        hmac.update(data: Self.counter + Self.label + [0x00])
        keyedPrefix = hmac
    }

    /// The 256-bit key for one message whose SP 800-108 Context is `context`.
    func deriveKey(context: ArraySlice<UInt8>) -> SymmetricKey {
        var hmac = keyedPrefix
        hmac.update(data: context)
        hmac.update(data: Self.outputBitLength)
        return SymmetricKey(data: hmac.finalize())
    }

    /// `CounterModeKDF(HMAC-SHA256)`; never the keyed state.
    var description: String { "CounterModeKDF(HMAC-SHA256)" }

    /// `CounterModeKDF(HMAC-SHA256)`; never the keyed state.
    var debugDescription: String { description }

    /// A mirror without children, so `dump` and reflection show no state.
    var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
