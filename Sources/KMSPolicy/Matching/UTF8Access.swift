/// Calls `body` with the UTF-8 bytes of `text`, without copying native strings.
@inline(__always)
func withUTF8Bytes<Result>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
    if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
    return Array(text.utf8).withUnsafeBufferPointer(body)
}

/// Whether the first `count` bytes of `a` and `b` are equal; both must hold `count` bytes.
@inline(__always)
func bytesEqual(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>, count: Int) -> Bool {
    var index = 0
    while index < count {
        if a[index] != b[index] { return false }
        index += 1
    }
    return true
}

extension UnsafeBufferPointer<UInt8> {
    /// Whether every byte is ASCII.
    var isASCII: Bool { allSatisfy { $0 < 0x80 } }
}

extension String {
    /// The string with ASCII letters lower-cased and every other byte kept, so the result
    /// has the same UTF-8 length. Used for names IAM treats case-insensitively.
    var asciiLowercased: String {
        String(decoding: utf8.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}
