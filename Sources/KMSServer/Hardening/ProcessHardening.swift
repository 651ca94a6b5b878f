#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// Keeps key material out of core dumps. Unless `debug.allow_core_dumps: true`, `kmsd` sets
/// `RLIMIT_CORE` to 0 (soft and hard limit, so the process cannot raise it again) and, on
/// Linux, marks itself not dumpable (`prctl(PR_SET_DUMPABLE, 0)`) at start-up, before the root
/// key is read. The second matters where `core_pattern` pipes cores to a helper
/// (systemd-coredump, apport), which the kernel starts whatever the limit; a process that
/// is not dumpable is not dumped at all, and other processes of the same user can no longer
/// attach to it with ptrace or read its `/proc/PID/mem`. Neither can the Swift runtime's
/// crash backtracer when `kmsd` is not root: its backtraces then show addresses only.
///
/// `kmsd`'s `ServerRunner` calls ``apply(_:logger:)`` before it creates the server; servers
/// that tests run in their own process do not.
public enum ProcessHardening {
    /// The core-dump settings of this process.
    package struct CoreDumpState: Sendable, Equatable, CustomStringConvertible {
        /// `RLIMIT_CORE`'s soft limit, in bytes.
        package var softLimit: UInt64
        /// `RLIMIT_CORE`'s hard limit, in bytes.
        package var hardLimit: UInt64
        /// Linux: whether `prctl(PR_GET_DUMPABLE)` says the process may be dumped; `nil` on
        /// other systems.
        package var dumpable: Bool?

        /// `RLIM_INFINITY`.
        package static let unlimited: UInt64 = {
            #if os(Linux)
            UInt64(rlim_t.max)
            #else
            UInt64(RLIM_INFINITY)
            #endif
        }()

        /// Whether no core file can be written: both limits 0 and (on Linux) not dumpable.
        package var coreDumpsDisabled: Bool { softLimit == 0 && hardLimit == 0 && dumpable != true }

        package var description: String {
            func text(_ limit: UInt64) -> String { limit == Self.unlimited ? "unlimited" : "\(limit)" }
            return "RLIMIT_CORE \(text(softLimit))/\(text(hardLimit)), dumpable \(dumpable.map { $0 ? "1" : "0" } ?? "n/a")"
        }
    }

    /// Disables core dumps unless `debug.allowCoreDumps`, and logs what it did.
    ///
    /// - Throws: `StartupError` when core dumps cannot be disabled: `kmsd` does not run with
    ///   key material that a crash could write to disk, unless told to.
    public static func apply(_ debug: ServerConfiguration.Debug, logger: Logger) throws(StartupError) {
        guard !debug.allowCoreDumps else {
            logger.warning(
                "core dumps are allowed (debug.allow_core_dumps: true): a crash may write key material to disk",
                metadata: ["core_dumps": "\(coreDumpState())"]
            )
            return
        }
        try disableCoreDumps()
        logger.info("core dumps disabled", metadata: ["core_dumps": "\(coreDumpState())"])
    }

    /// Sets `RLIMIT_CORE` to 0 and, on Linux, clears the dumpable flag.
    ///
    /// - Throws: `StartupError` naming the call that failed and `debug.allow_core_dumps`.
    package static func disableCoreDumps() throws(StartupError) {
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        guard setrlimit(coreResource, &none) == 0 else {
            throw refusal("setrlimit(RLIMIT_CORE, 0) failed: \(String(cString: strerror(errno)))")
        }
        #if os(Linux)
        guard let prctl = LinuxPrctl.function else {
            throw refusal("prctl is not available to clear the dumpable flag")
        }
        guard prctl(LinuxPrctl.setDumpable, 0, 0, 0, 0) == 0 else {
            throw refusal("prctl(PR_SET_DUMPABLE, 0) failed: \(String(cString: strerror(errno)))")
        }
        #endif
    }

    /// This process's core-dump settings now.
    package static func coreDumpState() -> CoreDumpState {
        var limit = rlimit()
        _ = getrlimit(coreResource, &limit)
        var dumpable: Bool? = nil
        #if os(Linux)
        dumpable = LinuxPrctl.function.map { $0(LinuxPrctl.getDumpable, 0, 0, 0, 0) != 0 }
        #endif
        return CoreDumpState(softLimit: UInt64(limit.rlim_cur), hardLimit: UInt64(limit.rlim_max), dumpable: dumpable)
    }

    private static func refusal(_ reason: String) -> StartupError {
        StartupError("cannot disable core dumps: \(reason); set debug.allow_core_dumps: true to start anyway")
    }

    #if os(Linux)
    private static let coreResource = __rlimit_resource_t(RLIMIT_CORE.rawValue)
    #else
    private static let coreResource = RLIMIT_CORE
    #endif
}

#if os(Linux)
/// glibc's `prctl`. Swift does not import C functions with variable arguments, so it is
/// looked up by name and called through a prototype with its five `unsigned long` arguments,
/// which is how glibc itself reads them (`va_arg(…, unsigned long)`) and how the x86-64 and
/// AArch64 calling conventions pass them either way.
private enum LinuxPrctl {
    typealias Function = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32

    /// `PR_GET_DUMPABLE` and `PR_SET_DUMPABLE` from `<linux/prctl.h>` (not imported into Swift).
    static let getDumpable: Int32 = 3
    static let setDumpable: Int32 = 4

    static let function: Function? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "prctl") else { return nil }
        return unsafeBitCast(symbol, to: Function.self)
    }()
}
#endif
