import ArgumentParser
import Foundation
import GRPCCore
import KMSClient
import KMSCore
import KMSProto
import SwiftProtobuf

/// `--in FILE --out FILE`: where the batch commands read their items and write their results,
/// both JSON Lines (docs/KMSCTL.md, "Batches").
struct BatchFiles: ParsableArguments {
    @Option(
        name: [.customLong("in"), .customLong("input")],
        help: ArgumentHelp("JSON Lines file of items, one object per line ('-' for stdin); at most \(Limits.batchItems.upperBound) items.", valueName: "file")
    )
    var input: String

    @Option(name: .customLong("out"), help: ArgumentHelp("Write the result lines to this file (mode 0600) instead of stdout.", valueName: "file"))
    var output: String?

    /// Reads the items, makes the batch call and delivers its results: the whole command.
    ///
    /// - Parameters:
    ///   - global: the connection and output options.
    ///   - request: the request for the input's lines (throws `BatchInputError` for a line
    ///     that is not a valid item).
    ///   - call: makes the call; returns its results and its request id.
    /// - Throws: `BatchInputError` for input that cannot be sent; `CommandFailure` when it
    ///   cannot be read or --out cannot be written; what the call throws; `ExitCode.invalid`
    ///   when an item failed.
    func run<Request: SwiftProtobuf.Message, Result: BatchItemResult>(
        _ global: GlobalOptions,
        request makeRequest: ([Data]) throws -> Request,
        call: @escaping @Sendable (KMSServiceClient, Request, CallOptions) async throws -> ([Result], String?)
    ) async throws {
        var splitter = JSONLinesSplitter()
        try InputFile.readChunks(input) { chunk in try splitter.append(chunk) }
        let lines = try splitter.finish()
        let request = try makeRequest(lines)
        try BatchItems.checkSize(of: request)
        let (results, requestID) = try await global.withClient { [request, global] client in
            try await call(client, request, global.callOptions)
        }
        try deliver(results, items: lines.count, requestID: requestID)
    }

    /// Writes one line per item, in item order, to --out or stdout; then, when any item
    /// failed, says so on stderr (without --json) and exits with status 2.
    private func deliver(_ results: [some BatchItemResult], items: Int, requestID: String?) throws {
        guard results.count == items else {
            throw CommandFailure("the server answered \(results.count) results for \(items) items")
        }
        let text = results.map { $0.outputLine(requestID: requestID) + "\n" }.joined()
        if let output {
            try OutputFile.write(Data(text.utf8), to: output)
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
        let failed = results.filter { $0.failureStatus != nil }.count
        guard failed == 0 else {
            if !FailureReport.json {
                FileHandle.standardError.write(Data("kmsctl: \(failed) of \(items) items failed; their lines hold the errors\n".utf8))
            }
            throw ExitCode.invalid
        }
    }
}

/// The results of a batch call's response and its request id (`x-request-id`), which its
/// items share.
private func resultsAndRequestID<Response: Sendable, Result>(
    of response: ClientResponse<Response>,
    _ results: (Response) -> [Result]
) throws -> ([Result], String?) {
    let key = FailureSummary.requestIDKey
    let requestID = response.metadata[stringValues: key].first(where: { _ in true })
        ?? response.trailingMetadata[stringValues: key].first(where: { _ in true })
    return (results(try response.message), requestID)
}

/// `kmsctl batch-encrypt`: BatchEncrypt.
struct BatchEncrypt: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch-encrypt",
        abstract: "Encrypt up to 1000 plaintexts in one call; items and results as JSON Lines (BatchEncrypt).",
        discussion: """
            Each input line is {"key_id": ID, "plaintext": BASE64, "context": {…}, \
            "encryption_algorithm": NAME} (the last two optional). Each output line is \
            {"ciphertext", "key_id", "key_version", "encryption_algorithm"} or, for an item that \
            failed, {"code", "reason", "message", "request_id"}; exit status 2 when any failed.
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var files: BatchFiles

    func execute() async throws {
        try await files.run(global) { lines in
            try Kms_V1_BatchEncryptRequest.with { $0.requests = try BatchItems.encryptRequests(lines) }
        } call: { client, request, options in
            try await client.batchEncrypt(request, options: options) { try resultsAndRequestID(of: $0, \.results) }
        }
    }
}

/// `kmsctl batch-decrypt`: BatchDecrypt.
struct BatchDecrypt: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch-decrypt",
        abstract: "Decrypt up to 1000 ciphertext blobs in one call; items and results as JSON Lines (BatchDecrypt).",
        discussion: """
            Each input line is {"ciphertext": BASE64, "context": {…}, "key_id": ID, \
            "encryption_algorithm": NAME} (all but ciphertext optional). Each output line is \
            {"plaintext", "key_id", "key_version", "encryption_algorithm"} or, for an item that \
            failed, {"code", "reason", "message", "request_id"}; exit status 2 when any failed. \
            Plaintext goes only to the output.
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var files: BatchFiles

    func execute() async throws {
        try await files.run(global) { lines in
            try Kms_V1_BatchDecryptRequest.with { $0.requests = try BatchItems.decryptRequests(lines) }
        } call: { client, request, options in
            try await client.batchDecrypt(request, options: options) { try resultsAndRequestID(of: $0, \.results) }
        }
    }
}

/// `kmsctl batch-generate-data-key`: BatchGenerateDataKey.
struct BatchGenerateDataKey: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch-generate-data-key",
        abstract: "Make up to 1000 data keys in one call; items and results as JSON Lines (BatchGenerateDataKey).",
        discussion: """
            Each input line is {"key_id": ID, "key_spec": AES_256|AES_128 or "number_of_bytes": N, \
            "context": {…}} (AES_256 when neither). Each output line is {"plaintext", \
            "ciphertext", "key_id", "key_version"} or, for an item that failed, {"code", \
            "reason", "message", "request_id"}; exit status 2 when any failed.
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var files: BatchFiles

    func execute() async throws {
        try await files.run(global) { lines in
            try Kms_V1_BatchGenerateDataKeyRequest.with { $0.requests = try BatchItems.generateDataKeyRequests(lines) }
        } call: { client, request, options in
            try await client.batchGenerateDataKey(request, options: options) { try resultsAndRequestID(of: $0, \.results) }
        }
    }
}
