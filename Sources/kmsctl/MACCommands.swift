import ArgumentParser
import KMSCore
import KMSProto

/// The request fields GenerateMac and VerifyMac share.
protocol MACRequestFields: MessageRequestFields {
    var macAlgorithm: Kms_V1_MacAlgorithm { get set }
}

extension Kms_V1_GenerateMacRequest: MACRequestFields {}
extension Kms_V1_VerifyMacRequest: MACRequestFields {}

/// `--key-id ID (--message T | --message-file F) --mac-algorithm A`.
struct MACOptions: ParsableArguments {
    @OptionGroup var target: KeyMessageOptions

    @Option(name: .customLong("mac-algorithm"), help: "The key's MAC algorithm: HMAC_SHA_256 for HMAC_256 keys, HMAC_SHA_384 for HMAC_384, HMAC_SHA_512 for HMAC_512.")
    var macAlgorithm: EnumArgument<Kms_V1_MacAlgorithm>

    /// `empty` with these options set.
    ///
    /// - Throws: as `KeyMessageOptions.request`.
    func request<Request: MACRequestFields>(_ empty: Request) throws -> Request {
        var request = try target.request(empty)
        request.macAlgorithm = macAlgorithm.value
        return request
    }
}

/// `--mac BASE64 | --mac-file FILE`: the tag VerifyMac checks.
struct MACInput: InlineOrFileInput {
    static let rules = InputRules(
        inlineOption: "--mac",
        fileOption: "--mac-file",
        encoding: .base64,
        limit: DigestAlgorithm.sha512.byteCount,
        limitName: "the longest HMAC tag"
    )

    @Option(name: .customLong("mac"), help: ArgumentHelp("The MAC in base64, as `kmsctl generate-mac` prints it.", valueName: "base64"))
    var inline: String?

    @Option(name: .customLong("mac-file"), help: ArgumentHelp("File holding the raw MAC, as `generate-mac --out` writes it ('-' for stdin).", valueName: "file"))
    var file: String?
}

/// `kmsctl generate-mac`: GenerateMac.
struct GenerateMac: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-mac",
        abstract: "Compute the HMAC of a message with a GENERATE_VERIFY_MAC key (GenerateMac).",
        discussion: "Prints the MAC in base64, or writes the raw MAC to --out."
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var options: MACOptions

    @Option(name: .customLong("out"), help: ArgumentHelp("Write the raw MAC to this file (mode 0600) instead of base64 to stdout.", valueName: "file"))
    var output: String?

    func execute() async throws {
        let request = try options.request(Kms_V1_GenerateMacRequest())
        let response = try await global.withClient { [global] client in
            try await client.generateMac(request, options: global.callOptions)
        }
        try global.deliver(response, payload: \.mac, to: output, encoding: .base64)
    }
}

/// `kmsctl verify-mac`: VerifyMac.
struct VerifyMac: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-mac",
        abstract: "Check an HMAC made with a GENERATE_VERIFY_MAC key (VerifyMac).",
        discussion: """
            Prints `valid` and exits with status 0, or prints `invalid` and exits with status \
            2. A failed call exits with status 1.
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var options: MACOptions

    @OptionGroup var mac: MACInput

    func validate() throws {
        try checkOneStandardInput(options.target.message, mac)
    }

    func execute() async throws {
        var request = try options.request(Kms_V1_VerifyMacRequest())
        request.mac = try mac.bytes()
        let response = try await global.withClient { [request, global] client in
            try await client.verifyMac(request, options: global.callOptions)
        }
        try global.deliverVerdict(response, valid: response.macValid)
    }
}
