import ArgumentParser
import KMSProto

/// `kmsctl encrypt`: Encrypt.
struct Encrypt: KMSCommand {
    static let configuration = CommandConfiguration(
        abstract: "Encrypt up to 4096 bytes under a key (Encrypt).",
        discussion: "Prints the ciphertext blob in base64, or writes the raw blob to --out."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("key-id"), help: "The key to encrypt under.")
    var keyID: String

    @OptionGroup var input: PlaintextInput

    @OptionGroup var context: ContextOptions

    @Option(name: .customLong("encryption-algorithm"), help: "SYMMETRIC_DEFAULT (the default) for a symmetric key; RSAES_OAEP_SHA_256 or RSAES_OAEP_SHA_1 for an RSA key.")
    var encryptionAlgorithm: EnumArgument<Kms_V1_EncryptionAlgorithm>?

    @Option(name: .customLong("out"), help: ArgumentHelp("Write the raw blob to this file (mode 0600) instead of base64 to stdout.", valueName: "file"))
    var output: String?

    func execute() async throws {
        var request = Kms_V1_EncryptRequest()
        request.keyID = keyID
        request.plaintext = try input.bytes()
        request.encryptionContext = try context.encryptionContext().pairs
        request.encryptionAlgorithm = encryptionAlgorithm?.value ?? .unspecified
        let response = try await global.withClient { [request, global] client in
            try await client.encrypt(request, options: global.callOptions)
        }
        try global.deliver(response, payload: \.ciphertextBlob, to: output, encoding: .base64)
    }
}

/// `kmsctl decrypt`: Decrypt.
struct Decrypt: KMSCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decrypt a ciphertext blob (Decrypt).",
        discussion: "Writes the raw plaintext to stdout, or to --out."
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var input: CiphertextInput

    @OptionGroup var context: ContextOptions

    @Option(name: .customLong("key-id"), help: "Fail unless the blob was made with this key; required with RSA-OAEP.")
    var keyID: String?

    @Option(name: .customLong("encryption-algorithm"), help: "The algorithm that encrypted: SYMMETRIC_DEFAULT (the default), RSAES_OAEP_SHA_256 or RSAES_OAEP_SHA_1.")
    var encryptionAlgorithm: EnumArgument<Kms_V1_EncryptionAlgorithm>?

    @Option(name: .customLong("out"), help: ArgumentHelp("Write the plaintext to this file (mode 0600) instead of stdout.", valueName: "file"))
    var output: String?

    func execute() async throws {
        var request = Kms_V1_DecryptRequest()
        request.ciphertextBlob = try input.bytes()
        request.encryptionContext = try context.encryptionContext().pairs
        request.keyID = keyID ?? ""
        request.encryptionAlgorithm = encryptionAlgorithm?.value ?? .unspecified
        let response = try await global.withClient { [request, global] client in
            try await client.decrypt(request, options: global.callOptions)
        }
        try global.deliver(response, payload: \.plaintext, to: output, encoding: .raw)
    }
}

/// `kmsctl re-encrypt`: ReEncrypt.
struct ReEncrypt: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "re-encrypt",
        abstract: "Decrypt a blob and encrypt its plaintext under another key, inside the server (ReEncrypt).",
        discussion: "Prints the new blob in base64, or writes the raw blob to --out."
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var input: CiphertextInput

    @Option(name: .customLong("destination-key-id"), help: "The key to encrypt under.")
    var destinationKeyID: String

    @Option(
        name: .customLong("source-context"),
        help: ArgumentHelp("A pair of the blob's encryption context; repeat for more.", valueName: "key=value"),
        transform: { try KeyValuePair(parsing: $0) }
    )
    var sourceContext: [KeyValuePair] = []

    @Option(
        name: .customLong("destination-context"),
        help: ArgumentHelp("A pair of the new blob's encryption context; repeat for more.", valueName: "key=value"),
        transform: { try KeyValuePair(parsing: $0) }
    )
    var destinationContext: [KeyValuePair] = []

    @Option(name: .customLong("source-key-id"), help: "Fail unless the blob was made with this key (required for an RSA-OAEP blob).")
    var sourceKeyID: String?

    @Option(name: .customLong("source-encryption-algorithm"), help: "How the blob was made: SYMMETRIC_DEFAULT (the default), RSAES_OAEP_SHA_256 or RSAES_OAEP_SHA_1.")
    var sourceEncryptionAlgorithm: EnumArgument<Kms_V1_EncryptionAlgorithm>?

    @Option(name: .customLong("destination-encryption-algorithm"), help: "How to encrypt under the destination key: SYMMETRIC_DEFAULT (the default) or an RSAES_OAEP algorithm.")
    var destinationEncryptionAlgorithm: EnumArgument<Kms_V1_EncryptionAlgorithm>?

    @Option(name: .customLong("out"), help: ArgumentHelp("Write the raw new blob to this file (mode 0600) instead of base64 to stdout.", valueName: "file"))
    var output: String?

    func validate() throws {
        _ = try KeyValuePair.encryptionContext(sourceContext, option: "--source-context")
        _ = try KeyValuePair.encryptionContext(destinationContext, option: "--destination-context")
    }

    func execute() async throws {
        var request = Kms_V1_ReEncryptRequest()
        request.ciphertextBlob = try input.bytes()
        request.sourceEncryptionContext = try KeyValuePair.encryptionContext(sourceContext, option: "--source-context").pairs
        request.sourceKeyID = sourceKeyID ?? ""
        request.destinationKeyID = destinationKeyID
        request.destinationEncryptionContext = try KeyValuePair.encryptionContext(destinationContext, option: "--destination-context").pairs
        request.sourceEncryptionAlgorithm = sourceEncryptionAlgorithm?.value ?? .unspecified
        request.destinationEncryptionAlgorithm = destinationEncryptionAlgorithm?.value ?? .unspecified
        let response = try await global.withClient { [request, global] client in
            try await client.reEncrypt(request, options: global.callOptions)
        }
        try global.deliver(response, payload: \.ciphertextBlob, to: output, encoding: .base64)
    }
}
