import Synchronization

/// Spaces the calls of a run evenly at `--rate` calls per second over all workers: call `n`
/// of the run (warm-up included) is due `n / rate` seconds after the run starts. A worker
/// waits for the next slot before each call, and the call's latency counts from its slot,
/// so a server that falls behind shows in the latencies instead of slowing the calls down
/// (no coordinated omission). Without `--rate` workers call back to back.
final class Pacer: Sendable {
    /// When slot 0 is due.
    let start: ContinuousClock.Instant
    /// The time between two slots.
    let interval: Duration
    private let issued = Atomic<Int>(0)

    init(rate: Double, start: ContinuousClock.Instant) {
        precondition(rate > 0, "a pacer needs a positive rate")
        self.start = start
        interval = .seconds(1 / rate)
    }

    /// The next free slot: when the next call is due.
    func nextSlot() -> ContinuousClock.Instant {
        start.advanced(by: interval * issued.wrappingAdd(1, ordering: .relaxed).oldValue)
    }
}
