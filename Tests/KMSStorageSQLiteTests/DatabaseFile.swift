import Foundation

/// Reads and edits SQLite database files directly, as an attacker with the disk would.
enum DatabaseFile {
    /// The first 100 bytes of the database file: SQLite's header.
    static func header(_ path: String) throws -> [UInt8] {
        let handle = try FileHandle(forReadingFrom: URL(filePath: path))
        defer { try? handle.close() }
        return Array(try handle.read(upToCount: 100) ?? Data())
    }

    /// PRAGMA user_version, kept big-endian in bytes 60...63 of the file header.
    static func userVersion(_ path: String) throws -> Int {
        try header(path)[60..<64].reduce(0) { $0 << 8 | Int($1) }
    }

    static func setUserVersion(_ version: UInt8, path: String) throws {
        let handle = try FileHandle(forUpdating: URL(filePath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: 60)
        try handle.write(contentsOf: [0, 0, 0, version])
    }

    /// The indices of the secrets of which some trace is in some file of `directory`: any of
    /// a secret's 16-byte pieces (taken at offsets 0, 16, 32…) anywhere in any file's bytes.
    /// Each secret must have at least 16 bytes.
    static func tracesOf(_ secrets: [[UInt8]], in directory: URL) throws -> Set<Int> {
        var owners: [SIMD16<UInt8>: Int] = [:]
        for (index, secret) in secrets.enumerated() {
            precondition(secret.count >= 16, "secret \(index) is shorter than one piece")
            for start in stride(from: 0, through: secret.count - 16, by: 16) {
                owners[SIMD16(secret[start..<(start + 16)])] = index
            }
        }
        var found: Set<Int> = []
        for file in try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil) {
            let bytes = try Data(contentsOf: file)
            guard bytes.count >= 16 else { continue }
            bytes.withUnsafeBytes { buffer in
                for offset in 0...(buffer.count - 16) {
                    if let owner = owners[buffer.loadUnaligned(fromByteOffset: offset, as: SIMD16<UInt8>.self)] {
                        found.insert(owner)
                    }
                }
            }
        }
        return found
    }
}
