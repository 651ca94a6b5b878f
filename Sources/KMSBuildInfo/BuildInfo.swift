/// What `kmsd --version` and `kmsctl --version` print: the release and the git commit the
/// binary was built from (written at build time by the GitCommit plugin).
public enum BuildInfo {
    /// The release version.
    public static let version = "0.6.0"
    /// The commit, 12 hex digits, `-dirty` when the checkout had changes; `unknown` when it
    /// was not built from a git checkout.
    public static let commit = gitCommit

    /// `0.6.0 (commit 1a2b3c4d5e6f)`.
    public static var description: String {
        "\(version) (commit \(commit))"
    }
}
