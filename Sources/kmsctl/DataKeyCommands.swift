import ArgumentParser
import KMSProto

/// The request fields GenerateDataKey and GenerateDataKeyWithoutPlaintext share.
protocol DataKeyRequestFields {
    var keyID: String { get set }
    var keySpec: Kms_V1_DataKeySpec { get set }
    var numberOfBytes: Int32 { get set }
    var encryptionContext: [String: String] { get set }
}

extension Kms_V1_GenerateDataKeyRequest: DataKeyRequestFields {}
extension Kms_V1_GenerateDataKeyWithoutPlaintextRequest: DataKeyRequestFields {}

/// `--key-id ID [--key-spec S | --number-of-bytes N] [--context k=v …]`.
struct DataKeyOptions: ParsableArguments {
    @Option(name: .customLong("key-id"), help: "The key that encrypts the data key.")
    var keyID: String

    @Option(name: .customLong("key-spec"), help: "The data key's length (default: AES_256).")
    var keySpec: EnumArgument<Kms_V1_DataKeySpec>?

    @Option(name: .customLong("number-of-bytes"), help: "The data key's length in bytes, 1–1024, instead of --key-spec.")
    var numberOfBytes: Int32?

    @OptionGroup var context: ContextOptions

    func validate() throws {
        guard keySpec == nil || numberOfBytes == nil else {
            throw ValidationError("give at most one of --key-spec and --number-of-bytes")
        }
    }

    /// A request with these options.
    ///
    /// - Throws: `ValidationError` for an invalid --context.
    func request<Request: DataKeyRequestFields>(_ empty: Request) throws -> Request {
        var request = empty
        request.keyID = keyID
        if let numberOfBytes {
            request.numberOfBytes = numberOfBytes
        } else {
            request.keySpec = keySpec?.value ?? .aes256
        }
        request.encryptionContext = try context.encryptionContext().pairs
        return request
    }
}

/// `kmsctl generate-data-key`: GenerateDataKey.
struct GenerateDataKey: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-data-key",
        abstract: "Make a data key; print it in plaintext and encrypted, in base64 (GenerateDataKey).",
        discussion: "Use the plaintext key, then discard it; store the CiphertextBlob, which `kmsctl decrypt` turns back into the key."
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var options: DataKeyOptions

    func execute() async throws {
        let request = try options.request(Kms_V1_GenerateDataKeyRequest())
        let response = try await global.withClient { [global] client in
            try await client.generateDataKey(request, options: global.callOptions)
        }
        try global.emit(response) {
            printLabelled([
                ("KeyId", response.keyID),
                ("KeyVersion", String(response.keyVersion)),
                ("Plaintext", response.plaintext.base64EncodedString()),
                ("CiphertextBlob", response.ciphertextBlob.base64EncodedString()),
            ])
        }
    }
}

/// `kmsctl generate-data-key-without-plaintext`: GenerateDataKeyWithoutPlaintext.
struct GenerateDataKeyWithoutPlaintext: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-data-key-without-plaintext",
        abstract: "Make a data key and print only its encrypted form, in base64 (GenerateDataKeyWithoutPlaintext)."
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var options: DataKeyOptions

    func execute() async throws {
        let request = try options.request(Kms_V1_GenerateDataKeyWithoutPlaintextRequest())
        let response = try await global.withClient { [global] client in
            try await client.generateDataKeyWithoutPlaintext(request, options: global.callOptions)
        }
        try global.emit(response) {
            printLabelled([
                ("KeyId", response.keyID),
                ("KeyVersion", String(response.keyVersion)),
                ("CiphertextBlob", response.ciphertextBlob.base64EncodedString()),
            ])
        }
    }
}

/// `kmsctl generate-random`: GenerateRandom.
struct GenerateRandom: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-random",
        abstract: "Print random bytes from the server, in base64 (GenerateRandom)."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("number-of-bytes"), help: "How many bytes, 1–1024.")
    var numberOfBytes: Int32

    func execute() async throws {
        let request = Kms_V1_GenerateRandomRequest.with { $0.numberOfBytes = numberOfBytes }
        let response = try await global.withClient { [global] client in
            try await client.generateRandom(request, options: global.callOptions)
        }
        try global.emit(response) { print(response.plaintext.base64EncodedString()) }
    }
}
