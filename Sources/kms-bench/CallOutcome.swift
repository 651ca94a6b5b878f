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

    /// The outcome of a batch whose results are `results`; `failure` returns the status of
    /// a failed item (code and message) and `nil` for one that succeeded.
    init<Result>(batch results: [Result], failure: (Result) -> (code: Int32, message: String)?) {
        succeeded = 0
        for result in results {
            if let (code, message) = failure(result) {
                failures.append(ItemFailure(status: StatusNames.name(ofCode: Int(code)), message: message))
            } else {
                succeeded += 1
            }
        }
    }

    private init(succeeded: Int) {
        self.succeeded = succeeded
    }
}
