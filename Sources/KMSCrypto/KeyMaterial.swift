import Crypto
import KMSCore

/// The 256-bit AES key of one version of a customer master key.
///
/// Material is made by ``generate()`` or by unwrapping it with a ``RootKey``; it never
/// prints (`KeyMaterial(256 bits)`), is not `Codable`, and compares in constant time.
public struct KeyMaterial: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The length of every key version's material, in bytes.
    public static let byteCount = 32

    /// The AES-256 key.
    let key: SymmetricKey

    /// The format 2 per-message key derivation keyed by ``key``, prepared once per material.
    let messageKeys: CounterModeKDF

    /// Wraps a key already known to be 256 bits long.
    init(key: SymmetricKey) {
        precondition(key.bitCount == KeyMaterial.byteCount * 8, "key material must be 256 bits")
        self.key = key
        messageKeys = CounterModeKDF(material: key)
    }

    /// Material from fixed bytes, for known-answer tests and future key import.
    ///
    /// - Throws: `KMSError` `.validation` unless `bytes` holds exactly 32 bytes.
    package init(bytes: some Collection<UInt8>) throws(KMSError) {
        guard bytes.count == KeyMaterial.byteCount else {
            throw KMSError(.validation, "key material must be exactly \(KeyMaterial.byteCount) bytes, got \(bytes.count)")
        }
        self.init(key: SecretBytes(copying: bytes).storage)
    }

    /// Material unwrapped from storage.
    ///
    /// - Throws: `.internalFailure` unless `stored` holds exactly 32 bytes.
    init(stored: SecretBytes) throws(KMSError) {
        guard stored.count == KeyMaterial.byteCount else {
            throw KMSError(.internalFailure, "stored symmetric material must be \(KeyMaterial.byteCount) bytes, got \(stored.count)")
        }
        self.init(key: stored.storage)
    }

    /// Lends the raw bytes to `body`, only inside this package: tests use it to prove that
    /// material never reaches a file in the clear.
    package func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try key.withUnsafeBytes(body)
    }

    /// Fresh random material from the system's cryptographically secure generator.
    public static func generate() -> KeyMaterial {
        KeyMaterial(key: SymmetricKey(size: .bits256))
    }

    /// Compares two values in constant time.
    public static func == (lhs: KeyMaterial, rhs: KeyMaterial) -> Bool {
        lhs.key == rhs.key
    }

    /// `KeyMaterial(256 bits)`; never the bytes.
    public var description: String { "KeyMaterial(\(key.bitCount) bits)" }

    /// `KeyMaterial(256 bits)`; never the bytes.
    public var debugDescription: String { description }

    /// A mirror without children, so `dump` and reflection show no bytes.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
