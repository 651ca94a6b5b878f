import Foundation

/// A file system call that failed: which call, on which path, and `errno`'s text.
public struct AuditIOError: Error, CustomStringConvertible {
    public let description: String
    /// The `errno` of the failed call, when a call failed.
    public let code: Int32?

    init(_ operation: String, path: String, errno code: Int32 = errno) {
        self.description = "\(operation) \(path): \(String(cString: strerror(code)))"
        self.code = code
    }

    init(_ description: String) {
        self.description = description
        self.code = nil
    }
}

/// An open file descriptor with the few calls the audit log needs, each throwing
/// `AuditIOError`. Not thread-safe; closed by `close()` or on release.
final class POSIXFile {
    let path: String
    private(set) var descriptor: Int32

    /// Opens `path` with `flags` (`O_CLOEXEC` added); new files get mode 0600.
    init(path: String, flags: Int32) throws(AuditIOError) {
        self.path = path
        let descriptor = open(path, flags | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw AuditIOError("open", path: path) }
        self.descriptor = descriptor
    }

    deinit { close() }

    func close() {
        if descriptor >= 0 { _ = Foundation.close(descriptor) }
        descriptor = -1
    }

    /// Writes every byte, retrying short writes and interruptions.
    func writeAll(_ bytes: [UInt8]) throws(AuditIOError) {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                throw AuditIOError("write", path: path)
            }
            written += result
        }
    }

    /// Forces written data (and the size) to stable storage.
    func syncData() throws(AuditIOError) {
        guard fdatasync(descriptor) == 0 else { throw AuditIOError("fdatasync", path: path) }
    }

    func truncate(to size: Int) throws(AuditIOError) {
        guard ftruncate(descriptor, off_t(size)) == 0 else { throw AuditIOError("ftruncate", path: path) }
    }

    func status() throws(AuditIOError) -> stat {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw AuditIOError("fstat", path: path) }
        return info
    }

    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    func read(count: Int, at offset: Int) throws(AuditIOError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var total = 0
        while total < count {
            let result = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + total, count - total, off_t(offset + total)) }
            if result < 0 {
                if errno == EINTR { continue }
                throw AuditIOError("read", path: path)
            }
            if result == 0 { break }
            total += result
        }
        buffer.removeLast(count - total)
        return buffer
    }

    /// Makes a directory's entries (a newly created file) durable.
    static func syncDirectory(_ path: String) throws(AuditIOError) {
        let directory = try POSIXFile(path: path, flags: O_RDONLY | O_DIRECTORY)
        guard fsync(directory.descriptor) == 0 else { throw AuditIOError("fsync", path: path) }
    }
}
