import Foundation
import Testing

/// Every regular file of a data directory, read whole.
struct DataDirectoryBytes {
    let contents: [[UInt8]]

    init(_ directory: URL) throws {
        var contents: [[UInt8]] = []
        let files = try #require(FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil))
        for case let file as URL in files where !file.hasDirectoryPath {
            contents.append([UInt8](try Data(contentsOf: file)))
        }
        self.contents = contents
    }

    /// The 16 bytes every SQLite database file starts with: a run the searches below must
    /// find, so that a search that finds nothing is shown to be able to find something.
    static let sqliteHeader = Array("SQLite format 3\0".utf8)

    /// Whether some file contains `bytes`.
    func contains(_ bytes: some Collection<UInt8>) -> Bool {
        contents.contains { $0.firstRange(of: Array(bytes)) != nil }
    }

    /// The offsets in `secret` of `length`-byte runs that some file contains.
    func runs(of secret: [UInt8], length: Int) -> [Int] {
        guard secret.count >= length else { return [] }
        let runs = Set((0...(secret.count - length)).map { Array(secret[$0..<($0 + length)]) })
        var found: [Int] = []
        for file in contents where file.count >= length {
            for start in 0...(file.count - length) where runs.contains(Array(file[start..<(start + length)])) {
                found.append(start)
            }
        }
        return found
    }
}
