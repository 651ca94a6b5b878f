import Foundation

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An output file that appears at its destination only when everything written to it succeeded.
///
/// Bytes go to a new temporary file (mode 0600) in the destination's directory. When the
/// writing closure returns, the file is flushed to disk and renamed over the destination in one
/// step; when it throws, the temporary file is removed and the destination is left as it was.
struct EnvelopeFileOutput {
    private let handle: FileHandle
    private let url: URL

    /// Runs `body` with a writer whose bytes become the file at `destination` if, and only if,
    /// `body` returns.
    ///
    /// - Throws: what `body` throws, or `EnvelopeFileError` `.fileAccess` when the temporary
    ///   file cannot be created, written, flushed or renamed.
    static func write(
        to destination: URL,
        _ body: (EnvelopeFileOutput) throws(EnvelopeFileError) -> Void
    ) throws(EnvelopeFileError) {
        let directory = destination.deletingLastPathComponent()
        let name = ".\(destination.lastPathComponent.prefix(128)).\(UUID().uuidString).partial"
        let temporary = directory.appendingPathComponent(name)
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .fileAccess("create a file in", directory, systemError()) }
        let output = EnvelopeFileOutput(
            handle: FileHandle(fileDescriptor: descriptor, closeOnDealloc: true), url: destination
        )
        do throws(EnvelopeFileError) {
            try body(output)
            try output.flushAndClose()
            guard rename(temporary.path, destination.path) == 0 else {
                throw .fileAccess("rename a file to", destination, systemError())
            }
        } catch {
            try? output.handle.close()
            unlink(temporary.path)
            throw error
        }
    }

    /// Appends `bytes` to the file.
    ///
    /// - Throws: `EnvelopeFileError` `.fileAccess` when writing fails.
    func write(_ bytes: some DataProtocol) throws(EnvelopeFileError) {
        do {
            try handle.write(contentsOf: bytes)
        } catch {
            throw .fileAccess("write", url, error.localizedDescription)
        }
    }

    private func flushAndClose() throws(EnvelopeFileError) {
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            throw .fileAccess("write", url, error.localizedDescription)
        }
    }

    private static func systemError() -> String {
        String(cString: strerror(errno))
    }
}
