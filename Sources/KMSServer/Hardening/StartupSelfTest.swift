import KMSCrypto
import Logging

/// The cryptographic self-tests `KMSServer.init` runs first, before it opens anything.
enum StartupSelfTest {
    /// Runs the known-answer tests of ``CryptoSelfTest``, logs how long they took, and sends
    /// the failures of the pairwise-consistency checks after key generation to `logger`.
    ///
    /// - Throws: `StartupError` naming the primitive whose known-answer test failed.
    static func run(logger: Logger) throws(StartupError) {
        let clock = ContinuousClock()
        let started = clock.now
        let tested: [CryptoSelfTest.Primitive]
        do {
            tested = try CryptoSelfTest.run()
        } catch {
            throw StartupError("cryptographic self-test failed: \(error); kmsd does not start with a primitive that gives wrong answers")
        }
        let elapsed = clock.now - started
        PairwiseConsistency.reportFailures(to: pairwiseFailureReporter(logger: logger))
        logger.info("cryptographic self-tests passed", metadata: [
            "known_answer_tests": "\(tested.count)", "duration_ms": "\(milliseconds(elapsed))",
        ])
    }

    /// Logs a failed pairwise-consistency check at `critical`: a fresh key that does not
    /// match itself means the crypto library or the machine is faulty.
    static func pairwiseFailureReporter(logger: Logger) -> @Sendable (String) -> Void {
        { message in logger.critical("\(message)") }
    }

    /// `duration` in milliseconds, to 0.1 ms.
    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return ((Double(seconds) * 1_000 + Double(attoseconds) / 1e15) * 10).rounded() / 10
    }
}
