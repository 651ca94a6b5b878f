import GRPCCore
import Synchronization

/// Whether the server still takes calls, and how many KMS calls are running: health
/// reports NOT_SERVING from the moment a shutdown begins, and a shutdown cut short says how
/// many calls it cancelled.
final class ServingState: Sendable {
    private let stopping = Atomic<Bool>(false)
    private let running = Atomic<Int>(0)
    private let runningWhenCancelled = Atomic<Int>(0)

    /// Whether a shutdown has begun.
    var isStopping: Bool {
        stopping.load(ordering: .relaxed)
    }

    /// Marks the start of a shutdown.
    func beginStopping() {
        stopping.store(true, ordering: .relaxed)
    }

    /// The KMS calls running now.
    var callsInFlight: Int {
        running.load(ordering: .relaxed)
    }

    /// Notes how many calls were running when the server was cancelled.
    func noteCancellation() {
        runningWhenCancelled.store(callsInFlight, ordering: .relaxed)
    }

    /// The calls that were running when the server was cancelled.
    var callsCancelled: Int {
        runningWhenCancelled.load(ordering: .relaxed)
    }

    /// Counts the call `body` runs while it runs.
    func counting<T>(_ body: () async throws -> T) async rethrows -> T {
        running.add(1, ordering: .relaxed)
        defer { running.subtract(1, ordering: .relaxed) }
        return try await body()
    }
}

/// Counts the KMS calls in flight in `ServingState`.
struct InFlightCallsInterceptor: ServerInterceptor {
    let state: ServingState

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        try await state.counting { try await next(request, context) }
    }
}
