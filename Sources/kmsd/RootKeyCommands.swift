import ArgumentParser
import Foundation
import KMSServer

/// `kmsd root-key …`: the root key file that wraps every key's material.
struct RootKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "root-key",
        abstract: "Manage the root key file.",
        subcommands: [Generate.self]
    )

    /// `kmsd root-key generate FILE`.
    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new random root key to FILE (mode 0600); never overwrites a file.",
            discussion: """
            With PostgreSQL, kmsd never creates a root key itself: generate one file, give every \
            node the same file (root_key_file), and the first node to start records its check value \
            in the database; a node started with another key refuses to start.
            """
        )

        @Argument(help: "The file to create.")
        var file: String

        func run() async throws {
            await ServerRunner.orExit { try RootKeyFile.generate(path: file) }
            FileHandle.standardError.write(Data("kmsd: wrote a new root key to \(file) (mode 0600); keep a copy offline\n".utf8))
        }
    }
}
