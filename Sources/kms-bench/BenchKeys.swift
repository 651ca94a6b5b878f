import GRPCCore
import KMSProto

/// The keys a run spreads its calls over: given with `--key-id`, else created with
/// CreateKey before the run (they stay on the server; pass them back with `--key-id`).
enum BenchKeys {
    /// The key ids to use: `given` when not empty, else `count` new keys.
    ///
    /// - Throws: `BenchFailure` when CreateKey fails.
    static func resolve(given: [String], count: Int, on connection: BenchConnection, options: CallOptions) async throws -> [String] {
        guard given.isEmpty else { return given }
        var request = Kms_V1_CreateKeyRequest()
        request.description_p = "kms-bench"
        var keys: [String] = []
        for _ in 0..<count {
            do {
                keys.append(try await connection.kms.createKey(request, options: options).keyMetadata.keyID)
            } catch {
                throw BenchFailure("creating keys (CreateKey)", because: error)
            }
        }
        return keys
    }
}
