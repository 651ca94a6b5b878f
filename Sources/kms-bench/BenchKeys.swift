import GRPCCore
import KMSProto

/// The keys a run spreads its calls over: given with `--key-id`, else created with
/// CreateKey before the run (they stay on the server), or with `--reuse-keys` the
/// server's enabled keys of the operation's spec first, topped up with new ones.
enum BenchKeys {
    /// CreateKey calls in flight while keys are made.
    static let creationConcurrency = 64

    /// The key ids to use: `given` when not empty, else `count` keys (existing ones first
    /// when `reuse` is set).
    ///
    /// - Throws: `BenchFailure` when ListKeys or CreateKey fails.
    static func resolve(
        given: [String], count: Int, spec: Kms_V1_KeySpec, reuse: Bool, on connection: BenchConnection, options: CallOptions
    ) async throws -> [String] {
        guard given.isEmpty else { return given }
        var keys = reuse ? try await existing(upTo: count, spec: spec, on: connection, options: options) : []
        keys += try await create(count - keys.count, spec: spec, on: connection, options: options)
        return keys
    }

    /// Up to `count` enabled keys of `spec` on the server, in its listing order.
    private static func existing(
        upTo count: Int, spec: Kms_V1_KeySpec, on connection: BenchConnection, options: CallOptions
    ) async throws -> [String] {
        var keys: [String] = []
        var token = ""
        repeat {
            let page: Kms_V1_ListKeysResponse
            do {
                page = try await connection.kms.listKeys(.with { $0.pageSize = 1000; $0.pageToken = token }, options: options)
            } catch {
                throw BenchFailure("listing keys (ListKeys)", because: error)
            }
            keys += page.keys.filter { $0.keyState == .enabled && $0.keySpec == spec }.map(\.keyID)
            token = page.nextPageToken
        } while !token.isEmpty && keys.count < count
        return Array(keys.prefix(count))
    }

    /// `count` new keys of `spec` (with the spec's default usage), made `creationConcurrency` at a time.
    private static func create(_ count: Int, spec: Kms_V1_KeySpec, on connection: BenchConnection, options: CallOptions) async throws -> [String] {
        var request = Kms_V1_CreateKeyRequest()
        request.description_p = "kms-bench"
        request.keySpec = spec
        let template = request
        var keys: [String] = []
        keys.reserveCapacity(count)
        for start in stride(from: 0, to: count, by: creationConcurrency) {
            try await withThrowingTaskGroup(of: String.self) { group in
                for _ in start..<min(start + creationConcurrency, count) {
                    group.addTask {
                        do {
                            return try await connection.kms.createKey(template, options: options).keyMetadata.keyID
                        } catch {
                            throw BenchFailure("creating keys (CreateKey)", because: error)
                        }
                    }
                }
                for try await key in group { keys.append(key) }
            }
        }
        return keys
    }
}
