import Foundation
import KMSCore
import KMSCrypto

/// The root key on disk: one line holding the base64 of 32 random bytes, mode 0600. A file
/// its group or others may read or write is refused (0600 and 0400 are fine).
///
/// Production keeps this file on another volume than `data_dir` (see docs/CONFIGURATION.md):
/// a copy of the database alone then reveals no key material.
public enum RootKeyFile {
    /// Reads the root key; `nil` when the file does not exist.
    ///
    /// - Throws: `StartupError` when the file is readable or writable by its group or
    ///   others (as ssh refuses such a private key), unreadable, or not a root key.
    static func load(path: String) throws -> RootKey? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        try requireOwnerOnlyMode(path: path)
        // The file's bytes and the decoded key pass only through buffers that are zeroed
        // before they are freed (RootKeyFileBytes); no String or Data copy is made.
        let key = try RootKeyFileBytes.withContents(ofFile: path) { text throws(StartupError) in
            RootKeyFileBytes.withDecodedBase64(text) { bytes in try? RootKey(bytes: bytes) } ?? nil
        }
        guard let key else {
            throw StartupError("the root key file \(path) does not hold the base64 of exactly 32 bytes")
        }
        return key
    }

    /// Refuses a file whose mode gives its group or others any access (`mode & 0o077`).
    /// Follows symbolic links: the mode that counts is the target's.
    private static func requireOwnerOnlyMode(path: String) throws(StartupError) {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw StartupError("cannot read the root key file \(path): \(String(cString: strerror(errno)))")
        }
        let permissions = status.st_mode & 0o777
        guard permissions & 0o077 == 0 else {
            let octal = String(permissions, radix: 8)
            let mode = "0" + String(repeating: "0", count: 3 - octal.count) + octal
            throw StartupError(
                "the root key file \(path) has mode \(mode); it must be readable by its owner only: chmod 600 \(path)"
            )
        }
    }

    /// Writes a new random root key file (mode 0600) for `kmsd root-key generate`: the file
    /// every node of a cluster is given. Never overwrites an existing file.
    ///
    /// - Throws: `StartupError` when the file exists or cannot be written.
    public static func generate(path: String) throws {
        _ = try create(path: path)
    }

    /// Creates a new random root key file, never overwriting an existing one.
    static func create(path: String) throws -> RootKey {
        let secret = SecretBytes.random(count: 32)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StartupError("cannot create the root key file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        // The base64 line is made in a buffer that is zeroed before it is freed, and written
        // from there; no String or Data copy is made.
        let failure: String? = RootKeyFileBytes.withBase64Line(of: secret) { line in
            var written = 0
            while written < line.count {
                let count = write(descriptor, line.baseAddress! + written, line.count - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                written += count
            }
            return fsync(descriptor) == 0 ? nil : String(cString: strerror(errno))
        }
        if let failure {
            throw StartupError("cannot write the root key file \(path): \(failure)")
        }
        return try secret.withUnsafeBytes { bytes throws(KMSError) in try RootKey(bytes: bytes) }
    }
}

/// Why the server refused to start; the message tells the operator what to fix.
public struct StartupError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
