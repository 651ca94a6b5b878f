import ArgumentParser
import Foundation
import KMSProto

/// `kmsctl schedule-key-deletion`: ScheduleKeyDeletion.
struct ScheduleKeyDeletion: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule-key-deletion",
        abstract: "Schedule the destruction of every version of a key after a waiting period (ScheduleKeyDeletion).",
        discussion: """
            Prints the key id, its new state (PENDING_DELETION) and the deletion time. Until \
            then the key refuses cryptography with KEY_PENDING_DELETION and cancel-key-deletion \
            can save it; afterwards kmsd destroys its material and nothing it encrypted can be \
            decrypted again.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("key-id"), help: "The key's id or alias (alias/NAME).")
    var keyID: String

    @Option(name: .customLong("pending-window-in-days"), help: "Days until the key is destroyed, 7–30 (default: 30).")
    var pendingWindowInDays: Int32?

    func execute() async throws {
        let request = Kms_V1_ScheduleKeyDeletionRequest.with {
            $0.keyID = keyID
            $0.pendingWindowInDays = pendingWindowInDays ?? 0
        }
        let response = try await global.withClient { [global] client in
            try await client.scheduleKeyDeletion(request, options: global.callOptions)
        }
        try global.emit(response) {
            printLabelled([
                ("KeyId", response.keyID),
                ("KeyState", response.keyState.displayName),
                ("DeletionDate", response.hasDeletionTime ? response.deletionTime.date.formatted(.iso8601) : "-"),
            ])
        }
    }
}

/// `kmsctl cancel-key-deletion`: CancelKeyDeletion.
struct CancelKeyDeletion: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel-key-deletion",
        abstract: "Stop a scheduled deletion; the key becomes DISABLED (CancelKeyDeletion).",
        discussion: """
            Prints the key id. Run enable-key to use the key again. A key that is not pending \
            deletion fails with INVALID_STATE.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("key-id"), help: "The key's id or alias (alias/NAME).")
    var keyID: String

    func execute() async throws {
        let request = Kms_V1_CancelKeyDeletionRequest.with { $0.keyID = keyID }
        let response = try await global.withClient { [global] client in
            try await client.cancelKeyDeletion(request, options: global.callOptions)
        }
        try global.emit(response) { printLabelled([("KeyId", response.keyID)]) }
    }
}
