import KMSCore

/// The four big-endian bytes of a key version, as blobs and wrapping AAD carry it.
func bigEndianBytes(of version: KeyVersion) -> [UInt8] {
    [UInt8(truncatingIfNeeded: version >> 24), UInt8(truncatingIfNeeded: version >> 16),
     UInt8(truncatingIfNeeded: version >> 8), UInt8(truncatingIfNeeded: version)]
}

/// Reads a big-endian key version from exactly four bytes; `nil` for any other length.
func keyVersion(bigEndian bytes: some Collection<UInt8>) -> KeyVersion? {
    guard bytes.count == 4 else { return nil }
    return bytes.reduce(KeyVersion(0)) { $0 << 8 | KeyVersion($1) }
}
