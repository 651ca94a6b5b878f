import Foundation
import KMSCore
@testable import KMSService
import Testing

/// A store call on a node of a shared store waits only while the node keeps confirming: when
/// the database goes away mid-call, the caller gets `STORE_UNAVAILABLE` once the node has gone
/// twice the staleness bound without confirming, not a hang until its deadline.
@Suite struct StoreFreshnessTests {
    static let bound = Duration.milliseconds(200)

    @Test func aCallThatOutlivesTheBoundWithoutConfirmationFailsAsUnavailable() async throws {
        let freshness = StoreFreshness(maxStaleness: Self.bound)
        freshness.confirm(upTo: .now)
        let started = ContinuousClock.now
        let error = await #expect(throws: KMSError.self) {
            // A database that never answers: only cancellation ends this call.
            try await freshness.whileFresh { try await Task.sleep(for: .seconds(60)) }
        }
        #expect(error?.code == .storeUnavailable)
        #expect(ContinuousClock.now - started < .seconds(30), "the call waited on the store instead of giving up")
    }

    @Test func aSlowCallOnANodeThatKeepsConfirmingIsNotCutShort() async throws {
        let freshness = StoreFreshness(maxStaleness: Self.bound)
        freshness.confirm(upTo: .now)
        // Confirmations from a thread of its own, so that a busy task pool (the other test
        // suites) cannot delay them.
        let confirming = Thread {
            while !Thread.current.isCancelled {
                freshness.confirm(upTo: .now)
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
        confirming.start()
        defer { confirming.cancel() }
        let value = try await freshness.whileFresh {
            try await Task.sleep(for: Self.bound * 5)
            return 42
        }
        #expect(value == 42)
    }

    @Test func aStoreNoOtherNodeChangesNeverCutsACall() async throws {
        let freshness = StoreFreshness.alwaysFresh()
        let value = try await freshness.whileFresh {
            try await Task.sleep(for: Self.bound * 2)
            return "done"
        }
        #expect(value == "done")
    }

    @Test func aCallOnANodeThatIsAlreadyStaleFailsAtOnce() async throws {
        let freshness = StoreFreshness(maxStaleness: Self.bound)
        freshness.confirm(upTo: .now - Self.bound * 2)
        let error = await #expect(throws: KMSError.self) {
            try await freshness.whileFresh { try await Task.sleep(for: .seconds(60)) }
        }
        #expect(error?.code == .storeUnavailable)
    }
}
