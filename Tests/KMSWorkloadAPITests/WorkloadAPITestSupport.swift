import Foundation
import KMSWorkloadAPI
import Logging
import Testing

/// What a running client handed out, in order.
actor UpdateRecorder {
    private(set) var updates: [X509Update] = []

    func record(_ update: X509Update) {
        updates.append(update)
    }

    /// The first recorded update that satisfies `predicate`, polling until `timeout` passes.
    func first(
        within timeout: Duration = .seconds(5),
        sourceLocation: SourceLocation = #_sourceLocation,
        where predicate: (X509Update) -> Bool
    ) async throws -> X509Update {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let match = updates.first(where: predicate) { return match }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("no update within \(timeout); got \(updates)", sourceLocation: sourceLocation)
        throw WaitTimedOut()
    }
}

struct WaitTimedOut: Error {}

enum WorkloadAPITestSupport {
    /// A socket path in a fresh directory, short enough for `sun_path`; `body` runs with it
    /// and the directory is removed afterwards.
    static func withSocketPath<Result>(_ body: (String) async throws -> Result) async throws -> Result {
        let directory = "/tmp/kms-wl-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try await body("\(directory)/agent.sock")
    }

    /// Runs a `WorkloadAPIClient` on `socketPath` while `body` runs, recording its updates;
    /// cancels it afterwards and waits until `run` has returned.
    static func withClient<Result: Sendable>(
        socketPath: String,
        backoff: ReconnectBackoff = .standard,
        _ body: (UpdateRecorder) async throws -> Result
    ) async throws -> Result {
        let recorder = UpdateRecorder()
        let client = WorkloadAPIClient(
            endpoint: try WorkloadAPIEndpoint(parsing: "unix://\(socketPath)"),
            backoff: backoff,
            logger: Logger(label: "test.workload-api")
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await client.run { await recorder.record($0) }
            }
            do {
                let result = try await body(recorder)
                group.cancelAll()
                try await group.waitForAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }
}
