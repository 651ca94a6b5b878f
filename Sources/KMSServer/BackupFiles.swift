import Crypto
import Foundation
import KMSCore

/// The file operations of `kmsd backup` and `kmsd restore`: owner-only files created
/// exclusively (never overwriting, never following a symbolic link), synced before they
/// count, and SHA-256 digests computed while reading or copying.
enum BackupFiles {
    /// Read and copy chunk size.
    static let chunkByteCount = 1 << 20

    /// The size and SHA-256 (lower-case hex) of what was read or written.
    struct Digest: Equatable {
        var byteCount: Int
        var sha256: String
    }

    /// Prepares the backup's output directory: creates it with mode 0700 (its parent must
    /// exist), or takes an existing empty directory and sets its mode to 0700.
    ///
    /// - Throws: `BackupError` `.outputNotEmpty` when it exists and holds anything (or is not
    ///   a directory), `.fileSystem` when it cannot be created or changed.
    static func prepareOutputDirectory(_ path: String) throws(BackupError) {
        if mkdir(path, 0o700) == 0 {
            try setMode(path, 0o700)
            return
        }
        let code = errno
        guard code == EEXIST else {
            throw BackupError(.fileSystem, "cannot create the backup directory \(path): \(String(cString: strerror(code)))")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw BackupError(.outputNotEmpty, "\(path) exists and is not a directory; give a new or empty directory")
        }
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw BackupError(.fileSystem, "cannot read the backup directory \(path): \(error.localizedDescription)")
        }
        guard entries.isEmpty else {
            throw BackupError(.outputNotEmpty, "the backup directory \(path) is not empty; give a new or empty directory")
        }
        try setMode(path, 0o700)
    }

    /// Sets a file's or directory's permission bits.
    static func setMode(_ path: String, _ mode: mode_t) throws(BackupError) {
        guard chmod(path, mode) == 0 else {
            throw BackupError(.fileSystem, "cannot set the mode of \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Creates `path` (mode 0600; it must not exist) holding `data`, synced.
    ///
    /// - Throws: `BackupError` `.fileSystem` when it exists or cannot be written.
    static func writeNewFile(_ path: String, _ data: Data) throws(BackupError) {
        let handle = try createExclusively(path)
        do {
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
        } catch {
            throw BackupError(.fileSystem, "cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// The size and SHA-256 of a regular file, read in chunks.
    ///
    /// - Throws: `BackupError` `.fileSystem` when it is missing, not a regular file (a
    ///   symbolic link is refused), or unreadable.
    static func digest(of path: String) throws(BackupError) -> Digest {
        let handle = try openForReading(path)
        defer { try? handle.close() }
        var hash = SHA256()
        var count = 0
        do {
            while let chunk = try handle.read(upToCount: chunkByteCount), !chunk.isEmpty {
                hash.update(data: chunk)
                count += chunk.count
            }
        } catch {
            throw BackupError(.fileSystem, "cannot read \(path): \(error.localizedDescription)")
        }
        return Digest(byteCount: count, sha256: Hex.lowercase(hash.finalize()))
    }

    /// Reads a small file whole, refusing one longer than `limit` bytes.
    ///
    /// - Throws: `BackupError` `.fileSystem` when it is missing or unreadable, `.invalidManifest`
    ///   when it is longer than `limit`.
    static func readSmallFile(_ path: String, limit: Int) throws(BackupError) -> Data {
        let handle = try openForReading(path)
        defer { try? handle.close() }
        do {
            let data = try handle.read(upToCount: limit + 1) ?? Data()
            guard data.count <= limit else {
                throw BackupError(.invalidManifest, "\(path) is longer than \(limit) bytes; it is not a backup manifest")
            }
            return data
        } catch let error as BackupError {
            throw error
        } catch {
            throw BackupError(.fileSystem, "cannot read \(path): \(error.localizedDescription)")
        }
    }

    /// Copies `source` to the new file `target` (mode 0600, synced), returning the digest of
    /// the bytes written: the copy is checked against what was read, not against a second read.
    ///
    /// - Throws: `BackupError` `.fileSystem` when `target` exists or either file fails.
    static func copy(_ source: String, to target: String) throws(BackupError) -> Digest {
        let input = try openForReading(source)
        defer { try? input.close() }
        let output = try createExclusively(target)
        var hash = SHA256()
        var count = 0
        do {
            while let chunk = try input.read(upToCount: chunkByteCount), !chunk.isEmpty {
                try output.write(contentsOf: chunk)
                hash.update(data: chunk)
                count += chunk.count
            }
            try output.synchronize()
            try output.close()
        } catch {
            try? output.close()
            throw BackupError(.fileSystem, "cannot copy \(source) to \(target): \(error.localizedDescription)")
        }
        return Digest(byteCount: count, sha256: Hex.lowercase(hash.finalize()))
    }

    /// Syncs a directory, so the files created or renamed in it survive a crash.
    static func syncDirectory(_ path: String) throws(BackupError) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw BackupError(.fileSystem, "cannot open the directory \(path): \(String(cString: strerror(errno)))")
        }
        defer { _ = close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw BackupError(.fileSystem, "cannot sync the directory \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Removes a file when it exists.
    static func removeIfPresent(_ path: String) throws(BackupError) {
        guard unlink(path) == 0 || errno == ENOENT else {
            throw BackupError(.fileSystem, "cannot remove \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Renames `source` over `target` (atomically, within one file system).
    static func rename(_ source: String, over target: String) throws(BackupError) {
        guard Foundation.rename(source, target) == 0 else {
            throw BackupError(.fileSystem, "cannot rename \(source) to \(target): \(String(cString: strerror(errno)))")
        }
    }

    private static func openForReading(_ path: String) throws(BackupError) -> FileHandle {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            let reason = code == ELOOP ? "it is a symbolic link" : String(cString: strerror(code))
            throw BackupError(.fileSystem, "cannot read \(path): \(reason)")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            _ = close(descriptor)
            throw BackupError(.fileSystem, "\(path) is not a regular file")
        }
        return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    private static func createExclusively(_ path: String) throws(BackupError) -> FileHandle {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw BackupError(.fileSystem, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }
}
