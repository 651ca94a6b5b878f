import ArgumentParser
import Foundation
import KMSProto

/// `kmsctl enable-key-rotation`: EnableKeyRotation.
struct EnableKeyRotation: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "enable-key-rotation",
        abstract: "Rotate a key automatically every period (EnableKeyRotation).",
        discussion: """
            Prints nothing on success ({} with --json). kmsd makes a new current version when \
            the period has passed; ciphertexts under older versions still decrypt. Enabling \
            again restarts the period.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("key-id"), help: "The key's id or alias (alias/NAME).")
    var keyID: String

    @Option(name: .customLong("rotation-period-in-days"), help: "Days between rotations, 90–2560 (default: 365).")
    var rotationPeriodInDays: Int32?

    func execute() async throws {
        let request = Kms_V1_EnableKeyRotationRequest.with {
            $0.keyID = keyID
            $0.rotationPeriodInDays = rotationPeriodInDays ?? 0
        }
        let response = try await global.withClient { [global] client in
            try await client.enableKeyRotation(request, options: global.callOptions)
        }
        try global.emit(response) {}
    }
}

/// `kmsctl disable-key-rotation`: DisableKeyRotation.
struct DisableKeyRotation: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable-key-rotation",
        abstract: "Stop rotating a key automatically (DisableKeyRotation).",
        discussion: "Prints nothing on success ({} with --json). Existing versions are kept."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("key-id"), help: "The key's id or alias (alias/NAME).")
    var keyID: String

    func execute() async throws {
        let request = Kms_V1_DisableKeyRotationRequest.with { $0.keyID = keyID }
        let response = try await global.withClient { [global] client in
            try await client.disableKeyRotation(request, options: global.callOptions)
        }
        try global.emit(response) {}
    }
}

/// `kmsctl get-key-rotation-status`: GetKeyRotationStatus.
struct GetKeyRotationStatus: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "get-key-rotation-status",
        abstract: "Tell whether a key rotates automatically, how often and when next (GetKeyRotationStatus)."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("key-id"), help: "The key's id or alias (alias/NAME).")
    var keyID: String

    func execute() async throws {
        let request = Kms_V1_GetKeyRotationStatusRequest.with { $0.keyID = keyID }
        let response = try await global.withClient { [global] client in
            try await client.getKeyRotationStatus(request, options: global.callOptions)
        }
        try global.emit(response) {
            guard response.enabled else {
                printLabelled([("RotationEnabled", "false")])
                return
            }
            printLabelled([
                ("RotationEnabled", "true"),
                ("RotationPeriodInDays", String(response.rotationPeriodInDays)),
                ("NextRotationDate", response.nextRotationTime.date.formatted(.iso8601)),
            ])
        }
    }
}

/// `kmsctl rotate-key-on-demand`: RotateKeyOnDemand.
struct RotateKeyOnDemand: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-key-on-demand",
        abstract: "Make a new current version of a key now (RotateKeyOnDemand).",
        discussion: """
            Prints the key id and its new current version. Encrypt and the data key commands \
            use the new version from now on; ciphertexts under older versions still decrypt, \
            and re-encrypt moves one to the new version. The automatic rotation schedule, if \
            any, is unchanged.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("key-id"), help: "The key's id or alias (alias/NAME).")
    var keyID: String

    func execute() async throws {
        let request = Kms_V1_RotateKeyOnDemandRequest.with { $0.keyID = keyID }
        let response = try await global.withClient { [global] client in
            try await client.rotateKeyOnDemand(request, options: global.callOptions)
        }
        try global.emit(response) {
            printLabelled([("KeyId", response.keyID), ("KeyVersion", String(response.currentKeyVersion))])
        }
    }
}

/// `kmsctl list-key-rotations`: ListKeyRotations, one page or all of them.
struct ListKeyRotations: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "list-key-rotations",
        abstract: "List the rotations of a key, oldest first, a page at a time or all of them (ListKeyRotations).",
        discussion: """
            One row per version made by a rotation (version 1, made with the key, is not \
            listed). Without --all, the token of the next page, if any, is printed on stderr.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("key-id"), help: "The key's id or alias (alias/NAME).")
    var keyID: String

    @OptionGroup var paging: PageOptions

    func execute() async throws {
        let first = Kms_V1_ListKeyRotationsRequest.with { $0.keyID = keyID }
        let response = try await global.withClient { [global, paging] client in
            try await paging.collect(first) { request in
                try await client.listKeyRotations(request, options: global.callOptions)
            }
        }
        try global.emit(response) {
            printTable(
                header: ["VERSION", "ROTATION TYPE", "CREATED"],
                rows: response.rotations.map {
                    [String($0.keyVersion), $0.rotationType.displayName, $0.hasCreateTime ? $0.createTime.date.formatted(.iso8601) : "-"]
                }
            )
            reportNextPage(response.nextPageToken, items: "rotations")
        }
    }
}
