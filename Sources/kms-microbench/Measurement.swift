/// Runs a body repeatedly for a fixed time and reports its rate.
struct Measurement {
    let name: String
    let operationsPerSecond: Double

    /// Calls `body` in batches until `seconds` have passed (after a warm-up of a tenth of
    /// that) and returns calls per second.
    static func run(_ name: String, seconds: Double, _ body: () -> Void) -> Measurement {
        let clock = ContinuousClock()
        let warmUpEnd = clock.now.advanced(by: .seconds(seconds / 10))
        while clock.now < warmUpEnd {
            for _ in 0..<64 { body() }
        }
        var calls = 0
        let start = clock.now
        let end = start.advanced(by: .seconds(seconds))
        while clock.now < end {
            for _ in 0..<256 { body() }
            calls += 256
        }
        let elapsed = start.duration(to: clock.now)
        let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return Measurement(name: name, operationsPerSecond: Double(calls) / elapsedSeconds)
    }
}

/// Keeps results alive so the optimizer cannot drop the work that made them.
enum Sink {
    nonisolated(unsafe) static var value = 0

    @inline(never)
    static func consume(_ value: Int) {
        Self.value &+= value
    }
}
