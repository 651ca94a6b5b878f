/// The exit statuses of `kmsctl`: one table for every command, with and without `--json`
/// (docs/KMSCTL.md, "Exit status"), so that a script can tell a failure worth retrying from
/// a refusal.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// The command did what was asked.
    case success = 0
    /// The server refused the call or it failed in a way that the same call would fail again
    /// (a denied call, a key not found, invalid input, an internal error), or a local step
    /// failed (a file that cannot be read or written, a damaged envelope file).
    case failure = 1
    /// The call succeeded and its answer is "no": `verify` or `verify-mac` found the
    /// signature or MAC wrong, or some items of a batch command failed (each has its error
    /// line in the output).
    case negativeAnswer = 2
    /// Worth retrying as it was: UNAVAILABLE (no server listening, a node that cannot reach
    /// its store or audit log), DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED other than a size or
    /// count limit (`LIMIT_EXCEEDED`).
    case retryable = 3
    /// The mutual-TLS connection could not be set up: a credential file that cannot be read
    /// or loaded, or a TLS handshake that failed (a server certificate the CA did not sign,
    /// a client certificate the server does not trust). Retrying does not help.
    case connectionSetup = 4
    /// The command line is wrong: ArgumentParser's usage error status (`EX_USAGE`).
    case usage = 64
}
