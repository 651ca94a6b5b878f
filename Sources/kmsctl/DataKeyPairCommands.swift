import ArgumentParser
import Foundation
import KMSProto
import SwiftProtobuf

/// The request fields GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext share.
protocol DataKeyPairRequestFields {
    var keyID: String { get set }
    var keyPairSpec: Kms_V1_DataKeyPairSpec { get set }
    var encryptionContext: [String: String] { get set }
}

extension Kms_V1_GenerateDataKeyPairRequest: DataKeyPairRequestFields {}
extension Kms_V1_GenerateDataKeyPairWithoutPlaintextRequest: DataKeyPairRequestFields {}

/// The response fields GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext share.
protocol DataKeyPairResponseFields: SwiftProtobuf.Message {
    var privateKeyCiphertextBlob: Data { get set }
    var publicKey: Data { get set }
    var keyID: String { get }
    var keyVersion: UInt32 { get }
    var keyPairSpec: Kms_V1_DataKeyPairSpec { get }
}

extension Kms_V1_GenerateDataKeyPairResponse: DataKeyPairResponseFields {}
extension Kms_V1_GenerateDataKeyPairWithoutPlaintextResponse: DataKeyPairResponseFields {}

/// `--key-id ID --key-pair-spec S [--context k=v …] [--private-key-ciphertext-out F]
/// [--public-key-out F] [--pem]`: the request and the files of both key pair commands.
struct DataKeyPairOptions: ParsableArguments {
    @Option(name: .customLong("key-id"), help: "The SYMMETRIC_DEFAULT key that encrypts the private key.")
    var keyID: String

    @Option(name: .customLong("key-pair-spec"), help: "The kind of key pair.")
    var keyPairSpec: EnumArgument<Kms_V1_DataKeyPairSpec>

    @OptionGroup var context: ContextOptions

    @Option(name: .customLong("private-key-ciphertext-out"), help: ArgumentHelp("Write the encrypted private key, the raw blob `decrypt --in` reads, to this file (mode 0600) instead of printing it.", valueName: "file"))
    var ciphertextOutput: String?

    @Option(name: .customLong("public-key-out"), help: ArgumentHelp("Write the public key to this file (mode 0644) instead of printing it.", valueName: "file"))
    var publicKeyOutput: String?

    @Flag(help: "Write the key files in PEM instead of DER (the encrypted private key stays a raw blob).")
    var pem = false

    /// `empty` with the key, the spec and the encryption context set.
    ///
    /// - Throws: `ValidationError` for an invalid --context.
    func request<Request: DataKeyPairRequestFields>(_ empty: Request) throws -> Request {
        var request = empty
        request.keyID = keyID
        request.keyPairSpec = keyPairSpec.value
        request.encryptionContext = try context.encryptionContext().pairs
        return request
    }

    /// The PEM label for a key file with --pem, else `nil` (DER).
    func pemLabel(_ label: String) -> String? {
        pem ? label : nil
    }

    /// Writes the files asked for and prints the rest of `response`: `privateKey` (the
    /// plaintext private key, for GenerateDataKeyPair), then the encrypted private key and
    /// the public key.
    ///
    /// - Throws: as `GlobalOptions.deliver(_:summary:fields:)`.
    func deliver<Response: DataKeyPairResponseFields>(
        _ response: Response,
        privateKey: OutputField<Response>? = nil,
        global: GlobalOptions
    ) throws {
        let fields = [privateKey].compactMap { $0 } + [
            OutputField(label: "PrivateKeyCiphertextBlob", keyPath: \.privateKeyCiphertextBlob, path: ciphertextOutput),
            OutputField(
                label: "PublicKey",
                keyPath: \.publicKey,
                path: publicKeyOutput,
                pemLabel: pemLabel(PEM.publicKeyLabel),
                mode: OutputFile.publicMode
            ),
        ]
        let summary = [
            ("KeyId", response.keyID),
            ("KeyVersion", String(response.keyVersion)),
            ("KeyPairSpec", response.keyPairSpec.displayName),
        ]
        try global.deliver(response, summary: summary, fields: fields)
    }
}

/// `kmsctl generate-data-key-pair`: GenerateDataKeyPair.
struct GenerateDataKeyPair: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-data-key-pair",
        abstract: "Make an asymmetric key pair; print the private key in plaintext and encrypted, and the public key (GenerateDataKeyPair).",
        discussion: """
            Keys are DER (private: PKCS#8, public: SubjectPublicKeyInfo), printed in base64 or \
            written to files. Use the plaintext private key, then discard it; store the \
            PrivateKeyCiphertextBlob, which `kmsctl decrypt` turns back into the private key.
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var options: DataKeyPairOptions

    @Option(name: .customLong("private-key-out"), help: ArgumentHelp("Write the plaintext private key to this file (mode 0600) instead of printing it.", valueName: "file"))
    var privateKeyOutput: String?

    func execute() async throws {
        let request = try options.request(Kms_V1_GenerateDataKeyPairRequest())
        let response = try await global.withClient { [global] client in
            try await client.generateDataKeyPair(request, options: global.callOptions)
        }
        let privateKey = OutputField<Kms_V1_GenerateDataKeyPairResponse>(
            label: "PrivateKeyPlaintext",
            keyPath: \.privateKeyPlaintext,
            path: privateKeyOutput,
            pemLabel: options.pemLabel(PEM.privateKeyLabel)
        )
        try options.deliver(response, privateKey: privateKey, global: global)
    }
}

/// `kmsctl generate-data-key-pair-without-plaintext`: GenerateDataKeyPairWithoutPlaintext.
struct GenerateDataKeyPairWithoutPlaintext: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-data-key-pair-without-plaintext",
        abstract: "Make an asymmetric key pair; print only the encrypted private key and the public key (GenerateDataKeyPairWithoutPlaintext)."
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var options: DataKeyPairOptions

    func execute() async throws {
        let request = try options.request(Kms_V1_GenerateDataKeyPairWithoutPlaintextRequest())
        let response = try await global.withClient { [global] client in
            try await client.generateDataKeyPairWithoutPlaintext(request, options: global.callOptions)
        }
        try options.deliver(response, global: global)
    }
}
