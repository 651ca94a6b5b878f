import KMSProto

/// The shape of one run, after the command line is validated: what to call, how hard,
/// and for how long. Echoed in the report.
struct BenchPlan: Sendable {
    /// What is measured.
    var operation: BenchOperation
    /// The number of gRPC clients, each with its own transport (TCP + TLS connection).
    var connections: Int
    /// Connections opened before the run and left idle during it.
    var idleConnections: Int
    /// The number of calls in flight at once, over all connections.
    var concurrency: Int
    /// Items per call: `--batch` for batch operations, 1 otherwise.
    var batch: Int
    /// Plaintext bytes per Encrypt item (and per prepared ciphertext).
    var payload: Int
    /// The number of keys the calls are spread over; 0 for `health`.
    var keys: Int
    /// The key pairs `generate-data-key-pair` asks for.
    var keyPairSpec: Kms_V1_DataKeyPairSpec
    /// Seconds measured.
    var duration: Double
    /// Seconds of calls before the measurement starts.
    var warmup: Double
    /// Calls per second in total, spaced evenly (`--rate`); `nil` for back to back.
    var rate: Double? = nil

    /// The connection that worker `worker` uses: workers are dealt round-robin.
    func connection(ofWorker worker: Int) -> Int { worker % connections }
}
