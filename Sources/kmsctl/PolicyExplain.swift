import ArgumentParser
import KMSProto

/// `kmsctl policy explain`: ExplainAccess, printed for people.
struct ExplainPolicy: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain whether a principal may do an action on a key, and why (ExplainAccess).",
        discussion: """
            Prints the decision and a summary, then every statement of the key and server \
            policies with what matched and each condition with why it held or failed, then \
            every grant of the key and why it applies or not. Needs kms:ExplainAccess in the \
            server policy. Nothing is performed.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("principal"), help: "The principal to explain for (not necessarily you).")
    var principal: String

    @Option(name: .customLong("action"), help: ArgumentHelp("A policy action.", valueName: "kms:Action"))
    var action: String

    @Option(name: .customLong("key-id"), help: "The key's id or alias (alias/NAME); required for actions on a key.")
    var keyID: String?

    @OptionGroup var context: ContextOptions

    @Option(name: .customLong("source-ip"), help: "The source IP address to assume (default: none).")
    var sourceIP: String?

    func execute() async throws {
        var request = Kms_V1_ExplainAccessRequest()
        request.principal = principal
        request.action = action
        request.keyID = keyID ?? ""
        request.encryptionContext = try context.encryptionContext().pairs
        request.sourceIp = sourceIP ?? ""
        let response = try await global.withClient { [request, global] client in
            try await client.explainAccess(request, options: global.callOptions)
        }
        try global.emit(response) { printExplanation(response) }
    }
}

/// Prints an explanation: decision and summary, then statements with their conditions, then grants.
private func printExplanation(_ explanation: Kms_V1_ExplainAccessResponse) {
    print("Decision: \(explanation.decision.displayName)")
    print(explanation.summary)
    print("")
    print("Statements:")
    if explanation.statements.isEmpty { print("  (none)") }
    for statement in explanation.statements {
        let sid = statement.sid.isEmpty ? "" : " (Sid \"\(statement.sid)\")"
        print("  \(statement.applies ? "applies" : "no     ")  \(statement.policy) policy Statement[\(statement.index)]\(sid) \(statement.effect)")
        print("           principal \(matched(statement.principalMatched)), action \(matched(statement.actionMatched)), resource \(matched(statement.resourceMatched))")
        for condition in statement.conditions {
            print("           \(condition.held ? "held  " : "failed") \(condition.operator) \(condition.key): \(condition.reason)")
        }
    }
    print("")
    print("Grants:")
    if explanation.grants.isEmpty { print("  (none)") }
    for grant in explanation.grants {
        let name = grant.name.isEmpty ? "" : " (name \"\(grant.name)\")"
        print("  \(grant.applies ? "applies" : "no     ")  \(grant.grantID)\(name): \(grant.reason)")
    }
}

/// `matched` or `not matched`.
private func matched(_ flag: Bool) -> String {
    flag ? "matched" : "not matched"
}
