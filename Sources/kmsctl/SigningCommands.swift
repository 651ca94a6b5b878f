import ArgumentParser
import KMSCore
import KMSProto

/// The request fields Sign and Verify share.
protocol SigningRequestFields: MessageRequestFields {
    var messageType: Kms_V1_MessageType { get set }
    var signingAlgorithm: Kms_V1_SigningAlgorithm { get set }
}

extension Kms_V1_SignRequest: SigningRequestFields {}
extension Kms_V1_VerifyRequest: SigningRequestFields {}

/// `--key-id ID (--message T | --message-file F) [--message-type RAW|DIGEST] --signing-algorithm A`.
struct SigningOptions: ParsableArguments {
    @OptionGroup var target: KeyMessageOptions

    @Option(name: .customLong("message-type"), help: "RAW (the default): the server hashes the message; DIGEST: the message is already the digest made with the algorithm's hash.")
    var messageType: EnumArgument<Kms_V1_MessageType>?

    @Option(name: .customLong("signing-algorithm"), help: "The signature algorithm; one of the key's (describe-key lists them).")
    var signingAlgorithm: EnumArgument<Kms_V1_SigningAlgorithm>

    /// `empty` with these options set.
    ///
    /// - Throws: as `KeyMessageOptions.request`.
    func request<Request: SigningRequestFields>(_ empty: Request) throws -> Request {
        var request = try target.request(empty)
        request.messageType = messageType?.value ?? .unspecified
        request.signingAlgorithm = signingAlgorithm.value
        return request
    }
}

/// `--signature BASE64 | --signature-file FILE`: the signature Verify checks.
struct SignatureInput: InlineOrFileInput {
    static let rules = InputRules(
        inlineOption: "--signature",
        fileOption: "--signature-file",
        encoding: .base64,
        limit: Limits.maxSignatureBytes,
        limitName: "the largest signature"
    )

    @Option(name: .customLong("signature"), help: ArgumentHelp("The signature in base64, as `kmsctl sign` prints it.", valueName: "base64"))
    var inline: String?

    @Option(name: .customLong("signature-file"), help: ArgumentHelp("File holding the raw signature, as `sign --out` writes it ('-' for stdin).", valueName: "file"))
    var file: String?
}

/// `kmsctl sign`: Sign.
struct Sign: KMSCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sign a message or digest with the private key of a SIGN_VERIFY key (Sign).",
        discussion: """
            Prints the signature in base64, or writes the raw signature to --out. ECDSA \
            signatures are DER-encoded, as `openssl dgst -verify` reads them.
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var options: SigningOptions

    @Option(name: .customLong("out"), help: ArgumentHelp("Write the raw signature to this file (mode 0600) instead of base64 to stdout.", valueName: "file"))
    var output: String?

    func execute() async throws {
        let request = try options.request(Kms_V1_SignRequest())
        let response = try await global.withClient { [global] client in
            try await client.sign(request, options: global.callOptions)
        }
        try global.deliver(response, payload: \.signature, to: output, encoding: .base64)
    }
}

/// `kmsctl verify`: Verify.
struct Verify: KMSCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a signature made with a SIGN_VERIFY key (Verify).",
        discussion: """
            Prints `valid` and exits with status 0, or prints `invalid` and exits with status \
            2. A failed call exits with status 1.
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var options: SigningOptions

    @OptionGroup var signature: SignatureInput

    func validate() throws {
        try checkOneStandardInput(options.target.message, signature)
    }

    func execute() async throws {
        var request = try options.request(Kms_V1_VerifyRequest())
        request.signature = try signature.bytes()
        let response = try await global.withClient { [request, global] client in
            try await client.verify(request, options: global.callOptions)
        }
        try global.deliverVerdict(response, valid: response.signatureValid)
    }
}
