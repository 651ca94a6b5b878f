import Foundation
@testable import KMSServer
import Logging
import Testing

/// Core dumps: the `debug.allow_core_dumps` setting, and what `ProcessHardening` does to a
/// process. `kmsd` applies it before it creates the server; the in-process servers of the
/// other tests do not. Disabling cannot be undone, and a process that is not dumpable also
/// loses the symbols of its crash backtraces when it does not run as root, so the test that
/// disables core dumps runs in a child process: this test binary again, filtered to that one
/// test. `tools/interop/test_core_dumps.py` checks a running `kmsd` from outside.
@Suite struct ProcessHardeningTests {
    static let minimal = """
    listen: 127.0.0.1:0
    data_dir: /tmp/kms
    tls: {certificate: s.pem, private_key: k.pem, client_ca: ca.pem}
    """

    @Test func coreDumpsAreDisabledUnlessTheConfigurationAllowsThem() throws {
        #expect(try ServerConfiguration.parse(yaml: Self.minimal, relativeTo: "/").debug == .init(allowCoreDumps: false))
        #expect(try ServerConfiguration.parse(yaml: Self.minimal + "\ndebug: {}", relativeTo: "/").debug.allowCoreDumps == false)
        let allowed = try ServerConfiguration.parse(yaml: Self.minimal + "\ndebug:\n  allow_core_dumps: true", relativeTo: "/")
        #expect(allowed.debug.allowCoreDumps)
        #expect(ServerConfiguration.Debug().allowCoreDumps == false)
    }

    @Test(arguments: [
        ("debug:\n  allow_core_dump: true", "allow_core_dump"),
        ("debug:\n  allow_core_dumps: yes please", "debug.allow_core_dumps must be true or false"),
        ("debug: true", "debug must be a mapping"),
    ])
    func mistakesInTheDebugSettingAreNamed(yaml: String, named: String) {
        #expect {
            try ServerConfiguration.parse(yaml: Self.minimal + "\n" + yaml, relativeTo: "/")
        } throws: { error in
            "\(error)".contains(named)
        }
    }

    /// With `allow_core_dumps: true` nothing changes, and a warning says so.
    @Test func allowingCoreDumpsChangesNothingAndWarns() throws {
        let log = ListenerTestLog()
        let before = ProcessHardening.coreDumpState()
        try ProcessHardening.apply(.init(allowCoreDumps: true), logger: log.logger)
        #expect(ProcessHardening.coreDumpState() == before)
        #expect(log.contains(level: .warning, "core dumps are allowed (debug.allow_core_dumps: true)"))
    }

    /// Set in the child process that runs `disablingSetsTheLimitToZeroAndClearsTheDumpableFlag`.
    static let childProcessVariable = "KMS_TEST_PROCESS_HARDENING_CHILD"

    /// Disabling sets both RLIMIT_CORE limits to 0 and (on Linux) clears the dumpable flag,
    /// read back with getrlimit, prctl(PR_GET_DUMPABLE) and /proc/self/limits; doing it twice
    /// is fine. Runs itself in a child process (see the suite's comment).
    @Test(.enabled(if: ProcessHardeningTests.canRunInAChildProcess, "needs /proc/self/exe"))
    func disablingSetsTheLimitToZeroAndClearsTheDumpableFlag() throws {
        if ProcessInfo.processInfo.environment[Self.childProcessVariable] == "1" {
            try Self.disableAndCheckThisProcess()
            return
        }
        let before = ProcessHardening.coreDumpState()
        let child = Process()
        child.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        child.arguments = [
            "--testing-library", "swift-testing",
            "--filter", "ProcessHardeningTests/disablingSetsTheLimitToZeroAndClearsTheDumpableFlag",
        ]
        child.environment = ProcessInfo.processInfo.environment.merging([Self.childProcessVariable: "1"]) { _, new in new }
        let output = Pipe()
        child.standardOutput = output
        child.standardError = output
        try child.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        #expect(child.terminationStatus == 0, "\(text)")
        #expect(text.contains("Test run with 1 test"), "\(text)")
        #expect(ProcessHardening.coreDumpState() == before, "the test runner keeps its own settings")
    }

    static var canRunInAChildProcess: Bool {
        #if os(Linux)
        FileManager.default.fileExists(atPath: "/proc/self/exe")
        #else
        false
        #endif
    }

    /// What the child process checks, in itself.
    static func disableAndCheckThisProcess() throws {
        let log = ListenerTestLog()
        try ProcessHardening.apply(.init(), logger: log.logger)
        let state = ProcessHardening.coreDumpState()
        #expect(state.softLimit == 0)
        #expect(state.hardLimit == 0)
        #if os(Linux)
        #expect(state.dumpable == false)
        #endif
        #expect(state.coreDumpsDisabled)
        #expect(log.contains(level: .info, "core dumps disabled", "RLIMIT_CORE 0/0, dumpable 0"))

        try ProcessHardening.disableCoreDumps()
        #expect(ProcessHardening.coreDumpState() == state)
        #if os(Linux)
        let limits = try String(contentsOfFile: "/proc/self/limits", encoding: .utf8)
        let line = try #require(limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") })
        #expect(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(4).prefix(2) == ["0", "0"], "\(line)")
        #endif
    }

    @Test func theStateDescribesItself() {
        let state = ProcessHardening.CoreDumpState(softLimit: 0, hardLimit: 0, dumpable: false)
        #expect(state.description == "RLIMIT_CORE 0/0, dumpable 0")
        #expect(
            ProcessHardening.CoreDumpState(softLimit: 1024, hardLimit: ProcessHardening.CoreDumpState.unlimited, dumpable: true).description
                == "RLIMIT_CORE 1024/unlimited, dumpable 1"
        )
        #expect(state.coreDumpsDisabled)
        #expect(!ProcessHardening.CoreDumpState(softLimit: 0, hardLimit: 0, dumpable: true).coreDumpsDisabled)
        #expect(!ProcessHardening.CoreDumpState(softLimit: 0, hardLimit: 1024, dumpable: false).coreDumpsDisabled)
    }
}
