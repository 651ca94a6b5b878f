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

    /// Reads all of `path` (`-` for standard input) in chunks, handing each to `body`,
    /// which may stop the reading by throwing.
    ///
    /// - Throws: `CommandFailure` when the file cannot be read; what `body` throws.
    static func readChunks(_ path: String, _ body: (Data) throws -> Void) throws {
        let handle = path == "-" ? FileHandle.standardInput : try open(path)
        while true {
            let chunk: Data
            do {
                guard let read = try handle.read(upToCount: 64 * 1024), !read.isEmpty else { return }
                chunk = read
            } catch {
                throw CommandFailure("cannot read '\(path)': \(error.localizedDescription)")
            }
            try body(chunk)
        }
    }

    private static func open(_ path: String) throws(CommandFailure) -> FileHandle {
        let descriptor = Foundation.open(path, O_RDONLY)
        guard descriptor >= 0 else { throw CommandFailure("cannot open '\(path)': \(lastErrorMessage())") }
        return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }
}

/// Writes the files that `--out` names.
enum OutputFile {
    /// The mode of new files: they may hold plaintext or private keys.
    static let privateMode: mode_t = 0o600
    /// The mode of new files holding public keys, which anyone may read.
    static let publicMode: mode_t = 0o644

    /// Writes `data` to `path`, creating the file with `mode` (less the umask) or truncating
    /// an existing one, which keeps its mode.
    ///
    /// - Throws: `CommandFailure` when the file cannot be opened or written.
    static func write(_ data: Data, to path: String, mode: mode_t = privateMode) throws(CommandFailure) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)
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

/// PEM encoding (RFC 7468) of the DER keys the server returns, as OpenSSL reads them.
enum PEM {
    /// The label of a DER SubjectPublicKeyInfo.
    static let publicKeyLabel = "PUBLIC KEY"
    /// The label of a PKCS#8 DER private key.
    static let privateKeyLabel = "PRIVATE KEY"

    /// `der` in base64 lines of 64 characters between `-----BEGIN label-----` and
    /// `-----END label-----`, with a final newline.
    static func encode(_ der: Data, label: String) -> String {
        let base64 = der.base64EncodedString()
        var lines = ["-----BEGIN \(label)-----"]
        var start = base64.startIndex
        while start < base64.endIndex {
            let end = base64.index(start, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
            lines.append(String(base64[start..<end]))
            start = end
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
    }
}
