/// A body's measured rate.
struct Measurement {
    let name: String
    let operationsPerSecond: Double

    /// Measures each body for `seconds` in all, in `rounds` short turns taken in order
    /// (floor, subject, floor, subject…) after a warm-up of each, so that the machine's
    /// speed drifting during the run moves a floor and the measurement compared with it
    /// together.
    static func interleaved(
        _ subjects: [(name: String, body: () -> Void)],
        seconds: Double,
        rounds: Int = 20
    ) -> [Measurement] {
        let clock = ContinuousClock()
        for subject in subjects {
            let warmUpEnd = clock.now.advanced(by: .seconds(seconds / 10))
            while clock.now < warmUpEnd {
                for _ in 0..<64 { subject.body() }
            }
        }
        var calls = [Int](repeating: 0, count: subjects.count)
        var elapsed = [Duration](repeating: .zero, count: subjects.count)
        for _ in 0..<rounds {
            for (index, subject) in subjects.enumerated() {
                let start = clock.now
                let end = start.advanced(by: .seconds(seconds / Double(rounds)))
                while clock.now < end {
                    for _ in 0..<256 { subject.body() }
                    calls[index] += 256
                }
                elapsed[index] += start.duration(to: clock.now)
            }
        }
        return subjects.indices.map { index in
            let time = elapsed[index]
            let seconds = Double(time.components.seconds) + Double(time.components.attoseconds) * 1e-18
            return Measurement(name: subjects[index].name, operationsPerSecond: Double(calls[index]) / seconds)
        }
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
