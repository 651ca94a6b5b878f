import Foundation

/// Reads the files and standard input that commands take their bytes from.
enum InputFile {
    /// Reads all of `path` (`-` for standard input), refusing more than `limit` bytes so
    /// that memory stays bounded.
    ///
    /// - Parameters:
    ///   - path: the file, or `-`.
    ///   - limit: the most bytes accepted.
    ///   - limitName: what the limit is, for the error message.
    /// - Throws: `CommandFailure` when the file cannot be read or is larger than `limit`.
    static func read(_ path: String, limit: Int, limitName: String) throws(CommandFailure) -> Data {
        let handle = path == "-" ? FileHandle.standardInput : try open(path)
        var data = Data()
        do {
            while data.count <= limit, let chunk = try handle.read(upToCount: limit + 1 - data.count), !chunk.isEmpty {
                data.append(chunk)
            }
        } catch {
            throw CommandFailure("cannot read '\(path)': \(error.localizedDescription)")
        }
        guard data.count <= limit else {
            throw CommandFailure("'\(path)' is larger than \(limit) bytes, \(limitName)")
        }
        return data
    }

    private static func open(_ path: String) throws(CommandFailure) -> FileHandle {
        let descriptor = Foundation.open(path, O_RDONLY)
        guard descriptor >= 0 else { throw CommandFailure("cannot open '\(path)': \(lastErrorMessage())") }
        return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }
}

/// Writes the files that `--out` names.
enum OutputFile {
    /// Writes `data` to `path`, creating the file with mode 0600 (it may hold plaintext) or
    /// truncating an existing one.
    ///
    /// - Throws: `CommandFailure` when the file cannot be opened or written.
    static func write(_ data: Data, to path: String) throws(CommandFailure) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw CommandFailure("cannot open '\(path)' for writing: \(lastErrorMessage())") }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            try handle.write(contentsOf: data)
            try handle.close()
        } catch {
            throw CommandFailure("cannot write '\(path)': \(error.localizedDescription)")
        }
    }
}

/// The text of the current `errno`.
private func lastErrorMessage() -> String {
    String(cString: strerror(errno))
}
