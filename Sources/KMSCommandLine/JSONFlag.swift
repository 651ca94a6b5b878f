/// Finds `--json` on a command line before it is parsed, so that even a usage error can be
/// reported as JSON when it was asked for.
public enum JSONFlag {
    /// Whether `arguments` (the program name first) hold `--json` before any `--`, after
    /// which arguments are operands.
    public static func isPresent(in arguments: [String]) -> Bool {
        arguments.dropFirst().prefix { $0 != "--" }.contains("--json")
    }
}
