import ArgumentParser
import Foundation
import KMSServer

/// `kmsd audit …`: what an auditor needs from the server's side of the audit trail.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Audit trail tools.",
        subcommands: [ExportVerificationKey.self]
    )

    /// `kmsd audit export-verification-key --config FILE`.
    struct ExportVerificationKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export-verification-key",
            abstract: "Print the public key that verifies the audit log's signatures and checkpoints (PEM).",
            discussion: """
            The audit signing key is an Ed25519 key derived from the root key in the \
            configuration's root_key_file, so every node given that root key signs with it and \
            this one public key verifies every node's log. Prints it as PEM (BEGIN PUBLIC KEY, \
            an RFC 8410 SubjectPublicKeyInfo that OpenSSL reads) on stdout, and its key id on \
            stderr. Give the file to auditors: `kmsctl audit verify --verification-key FILE`. \
            Reads only the root key file; works while kmsd runs.
            """
        )

        @Option(name: .long, help: "The server's configuration file (its root_key_file is read).")
        var config: String

        func run() async throws {
            let configuration = await ServerRunner.orExit { try ServerConfiguration.load(path: config) }
            let key = await ServerRunner.orExit { try configuration.auditVerificationKey() }
            FileHandle.standardOutput.write(Data(key.pem.utf8))
            FileHandle.standardError.write(Data("kmsd: audit verification key \(key.keyID) (Ed25519), derived from \(configuration.rootKeyFile)\n".utf8))
        }
    }
}
