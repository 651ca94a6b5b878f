import ArgumentParser
import KMSPolicy

/// `kmsctl policy`: work on policy documents, offline (`validate`) or on the server (`explain`).
struct PolicyGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Validate policy documents offline; explain the server's decisions.",
        subcommands: [ValidatePolicy.self, ExplainPolicy.self]
    )
}

/// `kmsctl policy validate FILE`: compiles a document with the server's policy compiler.
struct ValidatePolicy: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a policy document without a server; print ok or what is wrong.",
        discussion: "On an invalid document prints `kmsctl: MALFORMED_POLICY: <message>` (the message names the statement and field) and exits with status 1."
    )

    @Argument(help: ArgumentHelp("The policy document, JSON ('-' for stdin).", valueName: "file"))
    var file: String

    func execute() async throws {
        _ = try CompiledPolicy.compile(try readPolicy(file))
        print("ok")
    }
}
