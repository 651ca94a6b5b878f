import Foundation
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
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw StartupError("cannot read the root key file \(path): \(error.localizedDescription)")
        }
        guard let bytes = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)),
              let key = try? RootKey(bytes: Array(bytes))
        else {
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
        let line = secret.withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw StartupError("cannot create the root key file \(path): \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            try handle.write(contentsOf: Data(line.utf8))
            try handle.synchronize()
        } catch {
            throw StartupError("cannot write the root key file \(path): \(error.localizedDescription)")
        }
        return try secret.withUnsafeBytes { try RootKey(bytes: Array($0)) }
    }
}

/// Why the server refused to start; the message tells the operator what to fix.
public struct StartupError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
