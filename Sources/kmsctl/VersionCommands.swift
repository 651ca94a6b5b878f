import ArgumentParser
import KMSProto

/// `kmsctl disable-key-version`: DisableKeyVersion.
struct DisableKeyVersion: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable-key-version",
        abstract: "Make ciphertexts under one version of a key refuse to decrypt (DisableKeyVersion).",
        discussion: """
            Prints nothing on success ({} with --json). Decrypt and re-encrypt of a ciphertext \
            made with that version fail with KEY_VERSION_DISABLED; the other versions keep \
            working. The current version cannot be disabled (INVALID_STATE): rotate first.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("key-id"), help: "The key's id or alias (alias/NAME).")
    var keyID: String

    @Option(name: .customLong("key-version"), help: "The version to disable.")
    var keyVersion: UInt32

    func execute() async throws {
        let request = Kms_V1_DisableKeyVersionRequest.with {
            $0.keyID = keyID
            $0.keyVersion = keyVersion
        }
        let response = try await global.withClient { [global] client in
            try await client.disableKeyVersion(request, options: global.callOptions)
        }
        try global.emit(response) {}
    }
}

/// `kmsctl enable-key-version`: EnableKeyVersion.
struct EnableKeyVersion: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "enable-key-version",
        abstract: "Let a disabled version of a key decrypt again (EnableKeyVersion).",
        discussion: "Prints nothing on success ({} with --json)."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("key-id"), help: "The key's id or alias (alias/NAME).")
    var keyID: String

    @Option(name: .customLong("key-version"), help: "The version to enable.")
    var keyVersion: UInt32

    func execute() async throws {
        let request = Kms_V1_EnableKeyVersionRequest.with {
            $0.keyID = keyID
            $0.keyVersion = keyVersion
        }
        let response = try await global.withClient { [global] client in
            try await client.enableKeyVersion(request, options: global.callOptions)
        }
        try global.emit(response) {}
    }
}
