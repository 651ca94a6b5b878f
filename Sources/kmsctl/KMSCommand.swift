import ArgumentParser

/// A kmsctl subcommand whose failures are reported by `FailureReport`: one line on stderr,
/// or one JSON object with `--json`, and the exit status of docs/KMSCTL.md.
///
/// Conformers implement `execute()`; `run()` reports any failure other than a usage error
/// and exits with its status. Usage errors (`ValidationError`) go to `KMSCtl.main()`, which
/// reports them with ArgumentParser's message and exit status.
protocol KMSCommand: AsyncParsableCommand {
    /// Does the command's work.
    ///
    /// - Throws: `ValidationError` for a usage error, `ExitCode` to exit quietly, anything
    ///   else to have it reported.
    func execute() async throws
}

extension KMSCommand {
    /// Runs `execute()` and turns its failures into a report on stderr and an exit status.
    mutating func run() async throws {
        do {
            try await execute()
        } catch let error as ValidationError {
            throw error
        } catch let error as ExitCode {
            throw error
        } catch {
            throw FailureReport.write(error)
        }
    }
}
