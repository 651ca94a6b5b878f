import ArgumentParser
import Crypto
import Foundation
import KMSClient
import KMSProto

/// `kmsctl envelope`: files of any size, encrypted locally under a data key from the server.
struct Envelope: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Encrypt and decrypt files of any size under a data key (format: docs/ENVELOPE_FILE.md).",
        subcommands: [EnvelopeEncrypt.self, EnvelopeDecrypt.self]
    )
}

/// `kmsctl envelope encrypt IN OUT --key-id ID`: GenerateDataKey, then `EnvelopeFile.encrypt`.
struct EnvelopeEncrypt: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "encrypt",
        abstract: "Encrypt a file under a fresh AES-256 data key from GenerateDataKey.",
        discussion: """
            The encrypted data key and the encryption context are stored in OUT's header; the \
            plaintext data key is used in memory only. OUT appears only when all went well.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The file to encrypt.", valueName: "in"))
    var input: String

    @Argument(help: ArgumentHelp("The envelope file to write (replaced if it exists).", valueName: "out"))
    var output: String

    @Option(name: .customLong("key-id"), help: "The key that encrypts the data key.")
    var keyID: String

    @OptionGroup var context: ContextOptions

    @Option(name: .customLong("chunk-size"), help: "Plaintext bytes per authenticated chunk, 1 KiB–16 MiB.")
    var chunkSize: Int = EnvelopeFile.defaultChunkSize

    func validate() throws {
        guard EnvelopeFile.chunkSizes.contains(chunkSize) else {
            throw ValidationError("--chunk-size must be from \(EnvelopeFile.chunkSizes.lowerBound) to \(EnvelopeFile.chunkSizes.upperBound)")
        }
    }

    func execute() async throws {
        // Fail before asking the server for a data key that would go unused.
        guard FileManager.default.isReadableFile(atPath: input) else {
            throw CommandFailure("cannot read '\(input)'")
        }
        let context = try self.context.encryptionContext()
        var request = Kms_V1_GenerateDataKeyRequest()
        request.keyID = keyID
        request.keySpec = .aes256
        request.encryptionContext = context.pairs
        // Only the SymmetricKey leaves the closure, so the response holding the plaintext
        // data key is released as soon as the call returns.
        let (dataKey, summary) = try await global.withClient { [request, global] client in
            let response = try await client.generateDataKey(request, options: global.callOptions)
            let summary = Kms_V1_GenerateDataKeyWithoutPlaintextResponse.with {
                $0.ciphertextBlob = response.ciphertextBlob
                $0.keyID = response.keyID
                $0.keyVersion = response.keyVersion
            }
            return (SymmetricKey(data: response.plaintext), summary)
        }
        try EnvelopeFile.encrypt(
            input: URL(fileURLWithPath: input),
            output: URL(fileURLWithPath: output),
            dataKey: dataKey,
            encryptedDataKey: Array(summary.ciphertextBlob),
            context: context,
            chunkSize: chunkSize
        )
        try global.emit(summary) {
            print("encrypted \(input) -> \(output) under key \(summary.keyID) version \(summary.keyVersion)")
        }
    }
}

/// `kmsctl envelope decrypt IN OUT`: reads the header, Decrypt of its data key, then `EnvelopeFile.decrypt`.
struct EnvelopeDecrypt: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "decrypt",
        abstract: "Decrypt an envelope file made by `kmsctl envelope encrypt`.",
        discussion: "OUT appears only when every chunk authenticated; it is replaced if it exists."
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The envelope file.", valueName: "in"))
    var input: String

    @Argument(help: ArgumentHelp("Where to write the plaintext.", valueName: "out"))
    var output: String

    @Option(name: .customLong("key-id"), help: "Fail unless the file's data key was encrypted under this key.")
    var keyID: String?

    func execute() async throws {
        let inputURL = URL(fileURLWithPath: input)
        let header = try EnvelopeFile.readHeader(of: inputURL)
        var request = Kms_V1_DecryptRequest()
        request.ciphertextBlob = Data(header.encryptedDataKey)
        request.encryptionContext = header.encryptionContext.pairs
        request.keyID = keyID ?? ""
        let (dataKey, summary) = try await global.withClient { [request, global] client in
            let response = try await client.decrypt(request, options: global.callOptions)
            let summary = Kms_V1_DecryptResponse.with {
                $0.keyID = response.keyID
                $0.keyVersion = response.keyVersion
            }
            return (SymmetricKey(data: response.plaintext), summary)
        }
        try EnvelopeFile.decrypt(input: inputURL, output: URL(fileURLWithPath: output), dataKey: dataKey)
        try global.emit(summary) {
            print("decrypted \(input) -> \(output) with key \(summary.keyID) version \(summary.keyVersion)")
        }
    }
}
