import Foundation

/// What every fuzz target shares: the property check that turns a violated property into a
/// crash libFuzzer records, and byte helpers.
///
/// Fuzz targets (`Sources/Fuzz*/`) exist only when `KMS_FUZZ=1` is set for `swift build`
/// (see `tools/fuzz.sh` and `docs/TESTING.md`); they are linked with `-sanitize=fuzzer`, so
/// libFuzzer provides `main` and calls each target's `LLVMFuzzerTestOneInput`.
public enum Fuzz {
    /// Stops the process with a message when `condition` is false, so libFuzzer saves the
    /// input that broke the property (`crash-<sha1>`) and reports it.
    public static func require(
        _ condition: @autoclosure () -> Bool,
        _ message: @autoclosure () -> String,
        file: StaticString = #fileID,
        line: UInt = #line
    ) {
        guard !condition() else { return }
        fail(message(), file: file, line: line)
    }

    /// Stops the process: a property does not hold for this input.
    public static func fail(_ message: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
        FileHandle.standardError.write(Data("PROPERTY VIOLATED (\(file):\(line)): \(message)\n".utf8))
        abort()
    }

    /// The input as an array of bytes.
    public static func bytes(_ data: UnsafeRawPointer, _ size: Int) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: data, count: size))
    }

    /// A directory of this process's own for targets that must go through files (envelope
    /// files are read from a path); created once, under `TMPDIR` (or `/tmp`).
    public static let scratchDirectory: URL = {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        let url = URL(fileURLWithPath: base).appendingPathComponent("kms-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// `bytes` as lower-case hex, for messages.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
