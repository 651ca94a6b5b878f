import ArgumentParser

/// A kmsctl subcommand whose failures are reported as one `kmsctl: …` line on stderr.
///
/// Conformers implement `execute()`; `run()` reports any failure other than a usage error
/// with `FailureReport` and exits with status 1. Usage errors (`ValidationError`) keep
/// ArgumentParser's message and exit code.
protocol KMSCommand: AsyncParsableCommand {
    /// Does the command's work.
    ///
    /// - Throws: `ValidationError` for a usage error, `ExitCode` to exit quietly, anything
    ///   else to have it reported.
    func execute() async throws
}

extension KMSCommand {
    /// Runs `execute()` and turns its failures into one line on stderr and exit status 1.
    mutating func run() async throws {
        do {
            try await execute()
        } catch let error as ValidationError {
            throw error
        } catch let error as ExitCode {
            throw error
        } catch {
            FailureReport.write(error)
            throw ExitCode.failure
        }
    }
}
