import Foundation

/// A file read from start to end in pieces of a requested size.
struct EnvelopeFileInput {
    private let handle: FileHandle
    private let url: URL

    /// Opens `url` for reading.
    ///
    /// - Throws: `EnvelopeFileError` `.fileAccess` when the file cannot be opened.
    init(url: URL) throws(EnvelopeFileError) {
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            throw .fileAccess("open", url, error.localizedDescription)
        }
        self.url = url
    }

    /// Reads the next `count` bytes; fewer only when the file ends first, none at its end.
    ///
    /// - Throws: `EnvelopeFileError` `.fileAccess` when reading fails.
    func read(upTo count: Int) throws(EnvelopeFileError) -> Data {
        var data = Data()
        while data.count < count {
            let piece: Data?
            do {
                piece = try handle.read(upToCount: count - data.count)
            } catch {
                throw .fileAccess("read", url, error.localizedDescription)
            }
            guard let piece, !piece.isEmpty else { break }
            data.append(piece)
        }
        return data
    }

    /// Closes the file; a read-only handle has nothing to lose on close.
    func close() {
        try? handle.close()
    }
}
