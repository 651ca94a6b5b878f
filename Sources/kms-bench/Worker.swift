/// One of the `--concurrency` loops of a run: issues one call at a time on its connection
/// until the window ends, and tallies the calls that complete inside the window.
struct Worker: Sendable {
    /// The worker's number, 0 ..< concurrency; it offsets the keys the worker starts with.
    let number: Int
    let connection: BenchConnection
    let workload: Workload
    let window: MeasurementWindow
    /// Spaces the calls at `--rate`; `nil` to call back to back.
    var pacer: Pacer? = nil

    /// Runs until the window ends; failures are tallied, not thrown.
    func run() async -> Tally {
        let clock = ContinuousClock()
        var tally = Tally()
        var sequence = 0
        while !Task.isCancelled {
            let start: ContinuousClock.Instant
            if let pacer {
                // The latency counts from the slot, however late the worker is for it.
                start = pacer.nextSlot()
                guard start < window.end else { break }
                try? await Task.sleep(until: start, clock: .continuous)
            } else {
                start = clock.now
                guard start < window.end else { break }
            }
            do {
                let outcome = try await workload.call(sequence, of: number, on: connection)
                let end = clock.now
                if window.contains(end) { tally.record(outcome, latency: end - start, at: end) }
            } catch {
                let end = clock.now
                if window.contains(end) { tally.record(error, at: end) }
            }
            sequence += 1
        }
        return tally
    }
}
