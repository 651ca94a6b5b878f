/// The measured part of a run: after the warm-up, for the duration. Calls count only
/// when they complete inside it.
struct MeasurementWindow: Sendable {
    /// When the warm-up ends and the measurement starts.
    let start: ContinuousClock.Instant
    /// When the measurement ends; no call starts after it.
    let end: ContinuousClock.Instant

    /// The window that starts `warmup` seconds after `now` and lasts `duration` seconds.
    init(after now: ContinuousClock.Instant, warmup: Double, duration: Double) {
        start = now.advanced(by: .seconds(warmup))
        end = start.advanced(by: .seconds(duration))
    }

    /// Whether a call that completed at `instant` is measured.
    func contains(_ instant: ContinuousClock.Instant) -> Bool {
        start <= instant && instant <= end
    }
}
