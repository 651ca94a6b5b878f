import Crypto
import Foundation
import KMSCore

/// The fixed values and the per-chunk nonce and AAD of the envelope file format
/// (`docs/ENVELOPE_FILE.md`).
enum EnvelopeFileFormat {
    /// The first eight bytes of every envelope file; the digit is the format version.
    static let magic: [UInt8] = Array("SKMSENV1".utf8)
    /// Length of the random nonce prefix stored in the header.
    static let noncePrefixLength = 7
    /// Length of the AES-GCM tag that ends every stored chunk.
    static let tagLength = 16
    /// Largest canonical encoding a valid encryption context can have.
    static let maxEncryptionContextBytes =
        2 + 4 * Limits.maxEncryptionContextPairs + Limits.maxEncryptionContextBytes

    /// The associated data of every chunk: SHA-256 of the exact header bytes.
    static func associatedData(header: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: header))
    }

    /// The nonce of chunk `index`: nonce prefix (7) || index (UInt32 BE) || final flag (1).
    static func nonce(prefix: [UInt8], index: UInt32, isFinal: Bool) throws(EnvelopeFileError) -> AES.GCM.Nonce {
        var bytes = prefix
        appendUInt32(index, to: &bytes)
        bytes.append(isFinal ? 0x01 : 0x00)
        do {
            return try AES.GCM.Nonce(data: bytes)
        } catch {
            throw .malformed("nonce prefix must be \(noncePrefixLength) bytes")
        }
    }

    /// Appends `value` as four big-endian bytes.
    static func appendUInt32(_ value: UInt32, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// Reads four bytes as a big-endian integer.
    static func uint32(bigEndian bytes: some Collection<UInt8>) -> UInt32 {
        bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }
}
