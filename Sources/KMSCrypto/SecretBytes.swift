import Crypto
import Foundation

/// Secret bytes — a data key's plaintext or a decrypted plaintext — held in swift-crypto's
/// zeroed-on-free key storage.
///
/// The bytes are handed out only through ``withUnsafeBytes(_:)``. Printing, debug-printing,
/// reflecting or dumping a value shows only its length (`SecretBytes(32 bytes)`). Equality is
/// constant-time. The type is deliberately not `Codable`.
public struct SecretBytes: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The bytes, in storage that swift-crypto zeroes when it is freed.
    let storage: SymmetricKey

    /// Copies the given bytes into secret storage.
    ///
    /// When the sequence has no contiguous storage, the bytes pass through one temporary
    /// buffer that is overwritten with zeros before this returns.
    public init(copying bytes: some Sequence<UInt8>) {
        let direct = bytes.withContiguousStorageIfAvailable { SymmetricKey(data: UnsafeRawBufferPointer($0)) }
        if let direct {
            self.storage = direct
        } else {
            var scratch = Array(bytes)
            self.storage = SymmetricKey(data: scratch)
            scratch.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }
    }

    /// Wraps bytes that already live in swift-crypto key storage.
    init(storage: SymmetricKey) {
        self.storage = storage
    }

    /// `count` bytes from the system's cryptographically secure random number generator.
    ///
    /// - Precondition: `count >= 0`.
    public static func random(count: Int) -> SecretBytes {
        precondition(count >= 0, "SecretBytes.random(count:) needs a count of at least 0")
        guard count > 0 else { return SecretBytes(storage: SymmetricKey(data: [UInt8]())) }
        return SecretBytes(storage: SymmetricKey(size: SymmetricKeySize(bitCount: count * 8)))
    }

    /// The number of bytes.
    public var count: Int { storage.withUnsafeBytes { $0.count } }

    /// Calls `body` with the bytes; the buffer is valid only inside `body`.
    ///
    /// - Throws: Whatever `body` throws.
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let outcome: Swift.Result<Result, Failure> = storage.withUnsafeBytes { buffer in
            do throws(Failure) {
                return .success(try body(buffer))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    /// Compares two values in constant time for equal lengths.
    public static func == (lhs: SecretBytes, rhs: SecretBytes) -> Bool {
        lhs.storage == rhs.storage
    }

    /// `SecretBytes(N bytes)`; never the bytes.
    public var description: String { "SecretBytes(\(count) bytes)" }

    /// `SecretBytes(N bytes)`; never the bytes.
    public var debugDescription: String { description }

    /// A mirror without children, so `dump` and reflection show no bytes.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
