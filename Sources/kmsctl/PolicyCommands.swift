import ArgumentParser
import KMSProto

/// `kmsctl get-key-policy`: GetKeyPolicy.
struct GetKeyPolicy: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "get-key-policy",
        abstract: "Print a key's policy document (GetKeyPolicy)."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("key-id"), help: "The key's id or alias (alias/NAME).")
    var keyID: String

    func execute() async throws {
        let request = Kms_V1_GetKeyPolicyRequest.with { $0.keyID = keyID }
        let response = try await global.withClient { [global] client in
            try await client.getKeyPolicy(request, options: global.callOptions)
        }
        try global.emit(response) { print(response.policy) }
    }
}

/// `kmsctl put-key-policy`: PutKeyPolicy.
struct PutKeyPolicy: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "put-key-policy",
        abstract: "Replace a key's policy document (PutKeyPolicy).",
        discussion: """
            Prints nothing on success ({} with --json). A policy that would stop you from \
            calling PutKeyPolicy on the key again fails with MALFORMED_POLICY unless \
            --bypass-policy-lockout-safety-check is given.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("key-id"), help: "The key's id or alias (alias/NAME).")
    var keyID: String

    @Option(name: .customLong("policy-file"), help: ArgumentHelp("The new policy, a JSON document ('-' for stdin).", valueName: "file"))
    var policyFile: String

    @Flag(name: .customLong("bypass-policy-lockout-safety-check"), help: "Store the policy even if it locks you out of PutKeyPolicy on the key.")
    var bypassPolicyLockoutSafetyCheck = false

    func execute() async throws {
        var request = Kms_V1_PutKeyPolicyRequest()
        request.keyID = keyID
        request.policy = try readPolicy(policyFile)
        request.bypassPolicyLockoutSafetyCheck = bypassPolicyLockoutSafetyCheck
        let response = try await global.withClient { [request, global] client in
            try await client.putKeyPolicy(request, options: global.callOptions)
        }
        try global.emit(response) {}
    }
}
