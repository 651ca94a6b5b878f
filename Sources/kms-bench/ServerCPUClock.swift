import Foundation

/// The CPU time (user + system) a process has used so far, from `/proc/<pid>/stat`
/// (Linux), in seconds.
struct ServerCPUClock: Sendable {
    /// The process measured.
    let pid: Int32
    private let ticksPerSecond: Double

    /// A clock for process `pid`.
    ///
    /// - Throws: `BenchFailure` when the process's statistics cannot be read.
    init(pid: Int32) throws {
        self.pid = pid
        ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        _ = try seconds()
    }

    /// The CPU seconds used so far: `utime + stime` divided by the clock tick rate.
    ///
    /// - Throws: `BenchFailure` when `/proc/<pid>/stat` is unreadable or malformed.
    func seconds() throws -> Double {
        let path = "/proc/\(pid)/stat"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw BenchFailure("--server-pid: cannot read \(path) (no such process, or not Linux)")
        }
        // The command name (field 2) is in parentheses and may hold spaces; fields 14 and 15
        // (utime, stime) are the 12th and 13th after its closing parenthesis.
        guard let close = text.lastIndex(of: ")") else { throw malformed(path) }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
            throw malformed(path)
        }
        return (user + system) / ticksPerSecond
    }

    /// The CPU seconds used between the start and the end of `window`, sampled at both.
    ///
    /// - Throws: `BenchFailure` when a sample cannot be read; `CancellationError`.
    func seconds(during window: MeasurementWindow) async throws -> Double {
        try await Task.sleep(until: window.start, clock: .continuous)
        let before = try seconds()
        try await Task.sleep(until: window.end, clock: .continuous)
        return try seconds() - before
    }

    private func malformed(_ path: String) -> BenchFailure {
        BenchFailure("--server-pid: \(path) is not in the expected format")
    }
}
