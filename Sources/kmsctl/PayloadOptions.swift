import ArgumentParser
import Foundation
import KMSClient
import KMSCore
import SwiftProtobuf

/// How an input's inline option spells its bytes.
enum InlineEncoding {
    /// UTF-8 text (plaintexts and messages).
    case utf8
    /// Base64, which must decode to at least one byte (blobs, signatures, MACs).
    case base64
}

/// The rules of an input given either inline or as a file.
struct InputRules {
    /// The inline option, for messages (`--plaintext`).
    let inlineOption: String
    /// The file option, for messages (`--in`).
    let fileOption: String
    /// How the inline option spells the bytes.
    let encoding: InlineEncoding
    /// The most bytes the file may hold.
    let limit: Int
    /// What the limit is, for the error message.
    let limitName: String
}

/// An option group holding one input, given either inline (`--plaintext TEXT`) or as a file
/// (`--in FILE`, `-` for stdin): exactly one of the two.
///
/// Conformers declare the two options and their `rules`; validation and reading are shared.
protocol InlineOrFileInput: ParsableArguments {
    /// The option names, encoding and size limit of this input.
    static var rules: InputRules { get }
    /// The inline option's value.
    var inline: String? { get }
    /// The file option's value.
    var file: String? { get }
}

extension InlineOrFileInput {
    func validate() throws {
        guard (inline == nil) != (file == nil) else {
            throw ValidationError("give exactly one of \(Self.rules.inlineOption) and \(Self.rules.fileOption)")
        }
        _ = try decodedInline()
    }

    /// Whether the input is read from standard input.
    var readsStandardInput: Bool { file == "-" }

    /// The input's bytes.
    ///
    /// - Throws: `ValidationError` for an inline value that is not base64 where base64 is
    ///   expected; `CommandFailure` when the file cannot be read or is larger than the limit.
    func bytes() throws -> Data {
        if let decoded = try decodedInline() { return decoded }
        return try InputFile.read(file ?? "-", limit: Self.rules.limit, limitName: Self.rules.limitName)
    }

    private func decodedInline() throws(ValidationError) -> Data? {
        guard let inline else { return nil }
        switch Self.rules.encoding {
        case .utf8:
            return Data(inline.utf8)
        case .base64:
            let compact = inline.filter { !$0.isWhitespace }
            guard let data = Data(base64Encoded: compact), !data.isEmpty else {
                throw ValidationError("\(Self.rules.inlineOption) is not base64")
            }
            return data
        }
    }
}

/// Refuses two inputs that both read standard input, which holds only one.
///
/// - Throws: `ValidationError` naming the two file options.
func checkOneStandardInput(_ first: some InlineOrFileInput, _ second: some InlineOrFileInput) throws(ValidationError) {
    guard !(first.readsStandardInput && second.readsStandardInput) else {
        throw ValidationError("only one of \(type(of: first).rules.fileOption) and \(type(of: second).rules.fileOption) can be '-'")
    }
}

/// `--plaintext TEXT | --in FILE`: the bytes Encrypt seals.
struct PlaintextInput: InlineOrFileInput {
    static let rules = InputRules(
        inlineOption: "--plaintext",
        fileOption: "--in",
        encoding: .utf8,
        limit: Limits.maxPlaintextBytes,
        limitName: "the most Encrypt accepts (use `kmsctl envelope encrypt` for files)"
    )

    @Option(name: .customLong("plaintext"), help: ArgumentHelp("The plaintext, as UTF-8 text (visible in the process list; prefer --in for secrets).", valueName: "text"))
    var inline: String?

    @Option(name: .customLong("in"), help: ArgumentHelp("File holding the plaintext bytes ('-' for stdin).", valueName: "file"))
    var file: String?
}

/// `--ciphertext BASE64 | --in FILE`: a ciphertext blob made by Encrypt, ReEncrypt or GenerateDataKey.
struct CiphertextInput: InlineOrFileInput {
    static let rules = InputRules(
        inlineOption: "--ciphertext",
        fileOption: "--in",
        encoding: .base64,
        limit: Limits.maxCiphertextBytes,
        limitName: "the largest ciphertext blob"
    )

    @Option(name: .customLong("ciphertext"), help: ArgumentHelp("The ciphertext blob in base64, as `kmsctl encrypt` prints it.", valueName: "base64"))
    var inline: String?

    @Option(name: .customLong("in"), help: ArgumentHelp("File holding the raw blob, as `--out` writes it ('-' for stdin).", valueName: "file"))
    var file: String?
}

/// How a command shows the bytes a response carries when `--out` is not given.
enum PayloadEncoding {
    /// One line of base64 (ciphertext blobs, which are binary and not secret).
    case base64
    /// The raw bytes (plaintext, which the caller wants as it was).
    case raw
}

extension GlobalOptions {
    /// Delivers the bytes at `payload` of `response`: raw to the file `output` when given
    /// (then --json prints the rest of the response without them), else to stdout in
    /// `encoding`, or inside the JSON object with --json.
    ///
    /// - Throws: `CommandFailure` when `output` cannot be written; JSON encoding errors.
    func deliver<Response: SwiftProtobuf.Message>(
        _ response: Response,
        payload: WritableKeyPath<Response, Data>,
        to output: String?,
        encoding: PayloadEncoding
    ) throws {
        guard let output else {
            try emit(response) {
                switch encoding {
                case .base64: print(response[keyPath: payload].base64EncodedString())
                case .raw: FileHandle.standardOutput.write(response[keyPath: payload])
                }
            }
            return
        }
        try OutputFile.write(response[keyPath: payload], to: output)
        if json {
            var rest = response
            rest[keyPath: payload] = Data()
            print(try rest.jsonString())
        }
    }
}

/// A bytes field of a response that a command prints in base64 among labelled lines or,
/// when the field's `--…-out` option names a file, writes to that file.
struct OutputField<Response> {
    /// The field's label in human output (`PublicKey`).
    let label: String
    /// The field.
    let keyPath: WritableKeyPath<Response, Data>
    /// The file to write the bytes to instead of printing them, if any.
    let path: String?
    /// The PEM label to wrap the bytes in when writing the file; `nil` writes them raw.
    var pemLabel: String? = nil
    /// The new file's mode.
    var mode: mode_t = OutputFile.privateMode

    /// The bytes to write to `path`: the field's, raw or in PEM.
    func fileContents(of response: Response) -> Data {
        let bytes = response[keyPath: keyPath]
        guard let pemLabel else { return bytes }
        return Data(PEM.encode(bytes, label: pemLabel).utf8)
    }
}

extension GlobalOptions {
    /// Writes each of `fields` that names a file to it, then prints the response without
    /// those bytes: as JSON with --json, else `summary` followed by each other field in
    /// base64, as labelled lines.
    ///
    /// - Throws: `CommandFailure` when a file cannot be written; JSON encoding errors.
    func deliver<Response: SwiftProtobuf.Message>(
        _ response: Response,
        summary: [(label: String, value: String)],
        fields: [OutputField<Response>]
    ) throws {
        var rest = response
        for field in fields {
            guard let path = field.path else { continue }
            try OutputFile.write(field.fileContents(of: response), to: path, mode: field.mode)
            rest[keyPath: field.keyPath] = Data()
        }
        try emit(rest) {
            printLabelled(summary + fields.filter { $0.path == nil }.map { ($0.label, rest[keyPath: $0.keyPath].base64EncodedString()) })
        }
    }

    /// Prints `valid` or `invalid` (the response with --json), then exits with
    /// `ExitCode.invalid` unless `valid`.
    ///
    /// - Throws: `ExitCode.invalid` for an invalid signature or MAC; JSON encoding errors.
    func deliverVerdict<Response: SwiftProtobuf.Message>(_ response: Response, valid: Bool) throws {
        try emit(response) { print(valid ? "valid" : "invalid") }
        guard valid else { throw ExitCode.invalid }
    }
}

extension ExitCode {
    /// The exit status of a negative answer: `verify` and `verify-mac` when the server found
    /// the signature or MAC wrong, a batch command with failed items.
    static let invalid = ExitCode(ExitStatus.negativeAnswer.rawValue)
}
