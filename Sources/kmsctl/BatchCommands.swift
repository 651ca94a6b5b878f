import ArgumentParser
import Foundation
import GRPCCore
import KMSClient
import KMSCore
import KMSProto

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

    /// The input's lines, within the batch limits.
    ///
    /// - Throws: `BatchInputError` for input beyond the limits; `CommandFailure` when it cannot be read.
    func lines() throws -> [Data] {
        var splitter = JSONLinesSplitter()
        try InputFile.readChunks(input) { chunk in try splitter.append(chunk) }
        return try splitter.finish()
    }

    /// Writes one line per item, in item order, to --out or stdout; then, when any item
    /// failed, says so on stderr (without --json) and exits with status 2.
    ///
    /// - Throws: `CommandFailure` when the server did not answer every item or --out cannot
    ///   be written; `ExitCode.invalid` when an item failed.
    func deliver(_ results: [some BatchItemResult], items: Int, requestID: String?) throws {
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

/// The request id (`x-request-id`) of a batch call's response, which its items share.
private func requestID<Message>(of response: ClientResponse<Message>) -> String? {
    let key = FailureSummary.requestIDKey
    return (response.metadata[stringValues: key].first(where: { _ in true }))
        ?? response.trailingMetadata[stringValues: key].first(where: { _ in true })
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
        var request = Kms_V1_BatchEncryptRequest()
        request.requests = try BatchItems.encryptRequests(try files.lines())
        try BatchItems.checkSize(of: request)
        let (response, id) = try await global.withClient { [request, global] client in
            try await client.batchEncrypt(request, options: global.callOptions) { (try $0.message, requestID(of: $0)) }
        }
        try files.deliver(response.results, items: request.requests.count, requestID: id)
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
        var request = Kms_V1_BatchDecryptRequest()
        request.requests = try BatchItems.decryptRequests(try files.lines())
        try BatchItems.checkSize(of: request)
        let (response, id) = try await global.withClient { [request, global] client in
            try await client.batchDecrypt(request, options: global.callOptions) { (try $0.message, requestID(of: $0)) }
        }
        try files.deliver(response.results, items: request.requests.count, requestID: id)
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
        var request = Kms_V1_BatchGenerateDataKeyRequest()
        request.requests = try BatchItems.generateDataKeyRequests(try files.lines())
        try BatchItems.checkSize(of: request)
        let (response, id) = try await global.withClient { [request, global] client in
            try await client.batchGenerateDataKey(request, options: global.callOptions) { (try $0.message, requestID(of: $0)) }
        }
        try files.deliver(response.results, items: request.requests.count, requestID: id)
    }
}
