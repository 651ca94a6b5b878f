import Foundation
import Testing

/// Writes a root key file as an operator would, then sets its mode (0600 unless told):
/// the server refuses a root key file its group or others may read or write, and a file
/// `Data.write` creates gets the umask's mode (often 0644).
func writeRootKeyFile(_ contents: Data, to file: URL, mode: mode_t = 0o600) throws {
    try contents.write(to: file)
    try #require(chmod(file.path, mode) == 0, "chmod \(file.path)")
}

/// A well-formed root key file's contents: the base64 of 32 random bytes and a newline.
func randomRootKeyFileContents() -> Data {
    Data((Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString() + "\n").utf8)
}
