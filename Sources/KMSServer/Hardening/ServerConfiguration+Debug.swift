extension ServerConfiguration {
    /// Settings for debugging `kmsd` itself (`debug:`); none of them belongs in production.
    public struct Debug: Sendable, Equatable {
        /// Whether `kmsd` leaves core dumps as it found them. `false` (default): at start-up it
        /// sets `RLIMIT_CORE` to 0 and, on Linux, marks itself not dumpable, so a crash writes
        /// no key material to disk (see ``ProcessHardening``).
        public var allowCoreDumps: Bool

        /// Settings with core dumps disabled unless `allowCoreDumps`.
        public init(allowCoreDumps: Bool = false) {
            self.allowCoreDumps = allowCoreDumps
        }
    }

    /// Reads `debug:`.
    ///
    /// - Throws: `ConfigurationError` naming an unknown key or a value that is not a boolean.
    static func debugSettings(_ value: ConfigValue) throws -> Debug {
        let fields = try value.mapping(at: "debug", allowed: ["allow_core_dumps"])
        return Debug(allowCoreDumps: try fields["allow_core_dumps"]?.bool(at: "debug.allow_core_dumps") ?? false)
    }
}
