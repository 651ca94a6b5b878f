import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files whose mode is right from their first byte, and replaces them atomically.
enum SecureFile {
    /// Writes `text` to `url` with permission bits `mode`.
    ///
    /// The text goes to a new temporary file in the same directory, created with `mode`
    /// (so a private key is never readable by others, not even briefly), flushed to disk,
    /// then renamed over `url`.
    ///
    /// - Throws: `DevPKIError` naming the file when any step fails.
    static func save(_ text: String, to url: URL, mode: mode_t) throws(DevPKIError) {
        let path = url.path
        let temporaryPath = "\(path).tmp-\(UInt64.random(in: 0...UInt64.max))"
        let descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            throw DevPKIError("cannot create \(temporaryPath): \(lastErrorText())")
        }
        var failure: String?
        if fchmod(descriptor, mode) != 0 {
            failure = "cannot set the mode of \(temporaryPath): \(lastErrorText())"
        } else if !writeAll(Array(text.utf8), to: descriptor) {
            failure = "cannot write \(temporaryPath): \(lastErrorText())"
        } else if fsync(descriptor) != 0 {
            failure = "cannot flush \(temporaryPath): \(lastErrorText())"
        }
        if close(descriptor) != 0, failure == nil {
            failure = "cannot close \(temporaryPath): \(lastErrorText())"
        }
        if failure == nil, rename(temporaryPath, path) != 0 {
            failure = "cannot rename \(temporaryPath) to \(path): \(lastErrorText())"
        }
        if let failure {
            unlink(temporaryPath)
            throw DevPKIError(failure)
        }
    }

    /// The UTF-8 text of the file at `url`, or `nil` when there is no such file.
    ///
    /// - Throws: `DevPKIError` naming the file when it exists but cannot be read.
    static func readIfPresent(_ url: URL) throws(DevPKIError) -> String? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try wrappingErrors("cannot read \(url.path)") {
            try String(contentsOf: url, encoding: .utf8)
        }
    }

    /// Creates `url` and any missing parents with mode 0700; an existing directory is kept as it is.
    ///
    /// - Throws: `DevPKIError` naming the directory when it cannot be created.
    static func createDirectory(_ url: URL) throws(DevPKIError) {
        try wrappingErrors("cannot create the directory \(url.path)") {
            try FileManager.default.createDirectory(
                at: url,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        }
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { buffer in
                write(descriptor, buffer.baseAddress, buffer.count)
            }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }

    private static func lastErrorText() -> String {
        String(cString: strerror(errno))
    }
}
