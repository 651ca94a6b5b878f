#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KMSCrypto

/// The root key file's bytes, handled so that no copy of the key outlives its use: the file
/// is read with `read(2)` into a buffer allocated here, its base64 is decoded into another,
/// and both are overwritten with zeros (`explicit_bzero`, which the optimizer keeps) before
/// they are freed. The key itself ends up in swift-crypto's `SymmetricKey` storage, which is
/// zeroed when freed. Neither `String` nor `Data` holds the text or the key at any point:
/// their storage cannot be zeroed reliably (a `String` may be copied by any mutation, and
/// both free their buffers without clearing them).
enum RootKeyFileBytes {
    /// The largest root key file read: a key is 45 bytes (44 base64 characters and a
    /// newline); room is left for surrounding whitespace.
    static let maximumFileByteCount = 4096

    /// Calls `body` with a buffer of `byteCount` bytes for secrets; the buffer is overwritten
    /// with zeros and freed when `body` returns or throws.
    ///
    /// - Parameter beforeRelease: Tests only: sees the buffer after it was zeroed, just before
    ///   it is freed.
    static func withScratchBuffer<Result, Failure: Error>(
        byteCount: Int,
        beforeRelease: ((UnsafeRawBufferPointer) -> Void)? = nil,
        _ body: (UnsafeMutableRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(byteCount, 1), alignment: 1)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        defer {
            zeroize(buffer)
            beforeRelease?(UnsafeRawBufferPointer(buffer))
            buffer.deallocate()
        }
        return try body(UnsafeMutableRawBufferPointer(rebasing: buffer[..<byteCount]))
    }

    /// Overwrites `buffer` with zeros in a way the compiler does not drop as a dead store.
    static func zeroize(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        #if canImport(Glibc)
        explicit_bzero(base, buffer.count)
        #else
        _ = memset_s(base, buffer.count, 0, buffer.count)
        #endif
    }

    /// Reads the whole file at `path` (at most ``maximumFileByteCount`` bytes) into a scratch
    /// buffer and calls `body` with its contents.
    ///
    /// - Throws: `StartupError` when the file cannot be opened or read, or is larger; what
    ///   `body` throws.
    static func withContents<Result>(
        ofFile path: String,
        _ body: (UnsafeRawBufferPointer) throws(StartupError) -> Result
    ) throws(StartupError) -> Result {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw StartupError("cannot read the root key file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        // One byte more than allowed, to tell a file of exactly the maximum from a longer one.
        return try withScratchBuffer(byteCount: maximumFileByteCount + 1) { buffer throws(StartupError) in
            var filled = 0
            while filled < buffer.count {
                let count = read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
                if count == 0 { break }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw StartupError("cannot read the root key file \(path): \(String(cString: strerror(errno)))")
                }
                filled += count
            }
            guard filled <= maximumFileByteCount else {
                throw StartupError("the root key file \(path) is larger than \(maximumFileByteCount) bytes; it must hold one line of base64")
            }
            return try body(UnsafeRawBufferPointer(rebasing: buffer[..<filled]))
        }
    }

    /// Decodes base64 text (RFC 4648 standard alphabet, padded, with ASCII whitespace allowed
    /// before and after but not inside) into a scratch buffer and calls `body` with the
    /// bytes; `nil` when the text is not such base64. Foundation's `Data(base64Encoded:)`
    /// reads the same texts, but into a `Data` (and, for a `String` argument, through copies)
    /// that cannot be zeroed.
    static func withDecodedBase64<Result, Failure: Error>(
        _ text: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result? {
        var start = text.startIndex
        var end = text.endIndex
        while start < end, isWhitespace(text[start]) { start += 1 }
        while end > start, isWhitespace(text[end - 1]) { end -= 1 }
        let encoded = UnsafeRawBufferPointer(rebasing: text[start..<end])
        guard encoded.count.isMultiple(of: 4) else { return nil }
        var padding = 0
        if encoded.count >= 4 {
            if encoded[encoded.count - 1] == equalsSign { padding += 1 }
            if encoded[encoded.count - 2] == equalsSign { padding += 1 }
        }
        let decodedCount = encoded.count / 4 * 3 - padding
        return try withScratchBuffer(byteCount: decodedCount) { output throws(Failure) -> Result? in
            var written = 0
            var group: UInt32 = 0
            for (index, character) in encoded.enumerated() {
                let value: UInt32
                if index >= encoded.count - padding {
                    value = 0
                } else if let sextet = sextet(of: character) {
                    value = sextet
                } else {
                    group = 0
                    return nil
                }
                group = group << 6 | value
                if index % 4 == 3 {
                    var shift: UInt32 = 16
                    while written < decodedCount, shift <= 16 {
                        output[written] = UInt8(truncatingIfNeeded: group >> shift)
                        written += 1
                        shift &-= 8
                    }
                    group = 0
                }
            }
            return try body(UnsafeRawBufferPointer(output))
        }
    }

    /// Calls `body` with the file line for `secret`: its base64 (RFC 4648, padded) and a
    /// newline, in a scratch buffer.
    static func withBase64Line<Result, Failure: Error>(
        of secret: SecretBytes,
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let encodedCount = (secret.count + 2) / 3 * 4
        return try withScratchBuffer(byteCount: encodedCount + 1) { line throws(Failure) -> Result in
            secret.withUnsafeBytes { bytes in
                var written = 0
                var index = 0
                while index < bytes.count {
                    let available = min(3, bytes.count - index)
                    var group: UInt32 = 0
                    for offset in 0..<3 {
                        group = group << 8 | UInt32(offset < available ? bytes[index + offset] : 0)
                    }
                    for position in 0..<4 {
                        let sextet = Int(group >> UInt32(18 - 6 * position) & 0x3F)
                        line[written] = position <= available ? alphabet[sextet] : equalsSign
                        written += 1
                    }
                    group = 0
                    index += 3
                }
                line[written] = UInt8(ascii: "\n")
            }
            return try body(UnsafeRawBufferPointer(line))
        }
    }

    private static let equalsSign = UInt8(ascii: "=")
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static func sextet(of character: UInt8) -> UInt32? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt32(character - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): UInt32(character - UInt8(ascii: "a")) + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(character - UInt8(ascii: "0")) + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }

    private static func isWhitespace(_ character: UInt8) -> Bool {
        character == UInt8(ascii: " ") || character == UInt8(ascii: "\t") || character == UInt8(ascii: "\n")
            || character == UInt8(ascii: "\r") || character == 0x0B || character == 0x0C
    }
}
