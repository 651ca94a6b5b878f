import KMSCore
import NIOSSL

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
    /// Where the worker opens its own connection to the AWS-compatible endpoint, for
    /// operations that call it.
    var awsEndpoint: (target: HostPort, context: NIOSSLContext)? = nil

    /// Runs until the window ends; failures are tallied, not thrown (a connection to the
    /// AWS endpoint that cannot be opened counts as one failed call).
    func run() async -> Tally {
        guard let awsEndpoint else {
            var none: AWSExchange?
            return await calls(aws: &none)
        }
        do {
            return try await AWSExchange.withConnection(to: awsEndpoint.target, context: awsEndpoint.context) { exchange in
                var aws: AWSExchange? = exchange
                return await calls(aws: &aws)
            }
        } catch {
            var tally = Tally()
            tally.record(error, at: .now)
            return tally
        }
    }

    private func calls(aws: inout AWSExchange?) async -> Tally {
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
                let outcome = try await workload.call(sequence, of: number, on: connection, aws: &aws)
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
