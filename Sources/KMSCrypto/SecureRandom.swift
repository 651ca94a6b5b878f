#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Non-secret random bytes (salts, nonces) from the kernel's CSPRNG, the generator behind
/// `SystemRandomNumberGenerator` and swift-crypto's nonces, in one `getentropy` call per
/// 256 bytes (`SystemRandomNumberGenerator` makes one call per 8 bytes).
package func secureRandomBytes(count: Int) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        var filled = 0
        while filled < count {
            let chunk = min(256, count - filled)
            precondition(getentropy(buffer.baseAddress! + filled, chunk) == 0, "the kernel's random generator failed: errno \(errno)")
            filled += chunk
        }
        initialized = count
    }
}
