import Crypto

/// Non-secret random bytes (salts, nonces) from the same generator swift-crypto uses for keys.
func secureRandomBytes(count: Int) -> [UInt8] {
    SecretBytes.random(count: count).withUnsafeBytes { Array($0) }
}
