/// A failure of kmsctl itself (a file it cannot read or write, missing credentials),
/// reported as `kmsctl: <message>`.
struct CommandFailure: Error, CustomStringConvertible {
    /// What went wrong, naming the file or option; never contains secret bytes.
    let message: String

    init(_ message: String) {
        self.message = message
    }

    var description: String { message }
}
