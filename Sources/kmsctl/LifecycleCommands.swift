import ArgumentParser
import KMSProto

/// `kmsctl enable-key`: EnableKey.
struct EnableKey: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "enable-key",
        abstract: "Make a disabled key usable again (EnableKey).",
        discussion: "Prints nothing on success ({} with --json). Enabling an enabled key changes nothing."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("key-id"), help: "The key's id or alias (alias/NAME).")
    var keyID: String

    func execute() async throws {
        let request = Kms_V1_EnableKeyRequest.with { $0.keyID = keyID }
        let response = try await global.withClient { [global] client in
            try await client.enableKey(request, options: global.callOptions)
        }
        try global.emit(response) {}
    }
}

/// `kmsctl disable-key`: DisableKey.
struct DisableKey: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable-key",
        abstract: "Make a key refuse every cryptographic operation until it is enabled again (DisableKey).",
        discussion: """
            Prints nothing on success ({} with --json). Encrypt, Decrypt and the other \
            cryptographic calls then fail with KEY_DISABLED; describing, tagging, aliasing and \
            policies still work.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("key-id"), help: "The key's id or alias (alias/NAME).")
    var keyID: String

    func execute() async throws {
        let request = Kms_V1_DisableKeyRequest.with { $0.keyID = keyID }
        let response = try await global.withClient { [global] client in
            try await client.disableKey(request, options: global.callOptions)
        }
        try global.emit(response) {}
    }
}

/// `kmsctl update-key-description`: UpdateKeyDescription.
struct UpdateKeyDescription: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "update-key-description",
        abstract: "Replace a key's description (UpdateKeyDescription).",
        discussion: "Prints nothing on success ({} with --json)."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("key-id"), help: "The key's id or alias (alias/NAME).")
    var keyID: String

    @Option(name: .customLong("description"), help: "The new description (at most 8192 characters; empty clears it).")
    var keyDescription: String

    func execute() async throws {
        let request = Kms_V1_UpdateKeyDescriptionRequest.with {
            $0.keyID = keyID
            $0.description_p = keyDescription
        }
        let response = try await global.withClient { [global] client in
            try await client.updateKeyDescription(request, options: global.callOptions)
        }
        try global.emit(response) {}
    }
}
