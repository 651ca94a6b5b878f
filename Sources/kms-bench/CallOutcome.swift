import GRPCCore
import KMSClient
import KMSCore
import KMSProto

/// What one call that the server answered achieved: the items done, and the items that
/// failed inside a batch (a batch call fails item by item).
struct CallOutcome: Sendable {
    /// An item of a batch that failed, with its status.
    struct ItemFailure: Sendable {
        /// The status name, e.g. `NOT_FOUND`.
        var status: String
        /// The status message.
        var message: String
    }

    /// Items done: 1 for a single-item call.
    var succeeded: Int
    /// Failed batch items; empty for a single-item call.
    var failures: [ItemFailure] = []

    /// A single-item call that succeeded.
    static let single = CallOutcome(succeeded: 1)

    /// The outcome of a batch call whose results are `results`.
    init(batch results: [some BatchItemResult]) {
        succeeded = 0
        for result in results {
            guard let status = result.failureStatus else {
                succeeded += 1
                continue
            }
            let failure = FailureSummary(itemStatus: status, requestID: nil)
            failures.append(ItemFailure(status: failure.code, message: failure.message))
        }
    }

    private init(succeeded: Int) {
        self.succeeded = succeeded
    }
}
