import ArgumentParser
import Foundation
import KMSCore
import SwiftProtobuf

/// `--plaintext TEXT | --in FILE`: the bytes Encrypt seals.
struct PlaintextInput: ParsableArguments {
    @Option(help: ArgumentHelp("The plaintext, as UTF-8 text (visible in the process list; prefer --in for secrets).", valueName: "text"))
    var plaintext: String?

    @Option(name: .customLong("in"), help: ArgumentHelp("File holding the plaintext bytes ('-' for stdin).", valueName: "file"))
    var input: String?

    func validate() throws {
        guard (plaintext == nil) != (input == nil) else {
            throw ValidationError("give exactly one of --plaintext and --in")
        }
    }

    /// The plaintext bytes.
    ///
    /// - Throws: `CommandFailure` when the file cannot be read or holds more than Encrypt accepts.
    func bytes() throws(CommandFailure) -> Data {
        if let plaintext { return Data(plaintext.utf8) }
        return try InputFile.read(
            input ?? "-",
            limit: Limits.maxPlaintextBytes,
            limitName: "the most Encrypt accepts (use `kmsctl envelope encrypt` for files)"
        )
    }
}

/// `--ciphertext BASE64 | --in FILE`: a ciphertext blob made by Encrypt, ReEncrypt or GenerateDataKey.
struct CiphertextInput: ParsableArguments {
    @Option(help: ArgumentHelp("The ciphertext blob in base64, as `kmsctl encrypt` prints it.", valueName: "base64"))
    var ciphertext: String?

    @Option(name: .customLong("in"), help: ArgumentHelp("File holding the raw blob, as `--out` writes it ('-' for stdin).", valueName: "file"))
    var input: String?

    func validate() throws {
        guard (ciphertext == nil) != (input == nil) else {
            throw ValidationError("give exactly one of --ciphertext and --in")
        }
        _ = try decodedArgument()
    }

    /// The blob's bytes.
    ///
    /// - Throws: `ValidationError` for a --ciphertext that is not base64; `CommandFailure`
    ///   when the file cannot be read or is larger than any blob.
    func bytes() throws -> Data {
        if let decoded = try decodedArgument() { return decoded }
        return try InputFile.read(input ?? "-", limit: Limits.maxCiphertextBytes, limitName: "the largest ciphertext blob")
    }

    private func decodedArgument() throws(ValidationError) -> Data? {
        guard let ciphertext else { return nil }
        let compact = ciphertext.filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: compact), !data.isEmpty else {
            throw ValidationError("--ciphertext is not base64")
        }
        return data
    }
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
