import ArgumentParser
import KMSProto

/// `kmsctl get-public-key`: GetPublicKey.
struct GetPublicKey: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "get-public-key",
        abstract: "Print the public key of an asymmetric key (GetPublicKey).",
        discussion: """
            Prints the key's spec, usage and algorithms and the public key (DER \
            SubjectPublicKeyInfo) in base64; with --pem, only the key in PEM, as \
            `openssl pkey -pubin` reads it. --out writes the key (DER, or PEM with --pem) to a \
            file, mode 0644, and prints the rest.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("key-id"), help: "The key's id or alias (alias/NAME).")
    var keyID: String

    @Flag(help: "PEM (-----BEGIN PUBLIC KEY-----) instead of DER: printed alone, or written to --out.")
    var pem = false

    @Option(name: .customLong("out"), help: ArgumentHelp("Write the public key to this file instead of printing it.", valueName: "file"))
    var output: String?

    func validate() throws {
        guard !(pem && global.json && output == nil) else {
            throw ValidationError("--pem prints only the PEM key: give --out FILE to have --json print the rest")
        }
    }

    func execute() async throws {
        let request = Kms_V1_GetPublicKeyRequest.with { $0.keyID = keyID }
        let response = try await global.withClient { [global] client in
            try await client.getPublicKey(request, options: global.callOptions)
        }
        let publicKey = OutputField<Kms_V1_GetPublicKeyResponse>(
            label: "PublicKey",
            keyPath: \.publicKey,
            path: output,
            pemLabel: pem ? PEM.publicKeyLabel : nil,
            mode: OutputFile.publicMode
        )
        if pem && output == nil {
            print(PEM.encode(response.publicKey, label: PEM.publicKeyLabel), terminator: "")
            return
        }
        let summary = [
            ("KeyId", response.keyID),
            ("KeyVersion", String(response.keyVersion)),
            ("KeySpec", response.keySpec.displayName),
            ("KeyUsage", response.keyUsage.displayName),
        ] + algorithmRows(encryption: response.encryptionAlgorithms, signing: response.signingAlgorithms, mac: [])
        try global.deliver(response, summary: summary, fields: [publicKey])
    }
}
