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
            failures.append(
                status.code == 0
                    ? ItemFailure(status: RPCError.Code.unknown.canonicalName, message: "a batch result held neither a response nor an error")
                    : ItemFailure(status: StatusCodeName.of(Int(status.code)), message: status.message)
            )
        }
    }

    private init(succeeded: Int) {
        self.succeeded = succeeded
    }
}

/// One result of a batch call: the item's response, or the status the item failed with.
protocol BatchItemResult {
    /// The status the item failed with (code 0 when the result is empty); `nil` when it succeeded.
    var failureStatus: Google_Rpc_Status? { get }
}

extension Kms_V1_BatchEncryptResult: BatchItemResult {
    var failureStatus: Google_Rpc_Status? { if case .response? = result { nil } else { error } }
}

extension Kms_V1_BatchDecryptResult: BatchItemResult {
    var failureStatus: Google_Rpc_Status? { if case .response? = result { nil } else { error } }
}
