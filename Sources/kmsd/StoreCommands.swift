import ArgumentParser
import Foundation
import KMSServer
import Logging

/// `kmsd store …`: operations on a key store while no server uses it.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Operate on a key store.",
        subcommands: [Copy.self]
    )

    /// `kmsd store copy --from CONFIG --to CONFIG`.
    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy every key, version, policy, tag, alias and grant from one store to an empty other one.",
            discussion: """
            Moves an embedded SQLite store to PostgreSQL (or back) without touching a ciphertext: \
            key material stays wrapped under the same root key. Both configurations are kmsd \
            configuration files; stop the servers that use them first. Refuses a target that is \
            not empty, and reads both stores again afterwards to check the copy.
            """
        )

        @Option(name: .long, help: "The configuration of the store to copy from.")
        var from: String

        @Option(name: .long, help: "The configuration of the empty store to copy into.")
        var to: String

        func run() async throws {
            let source = await ServerRunner.orExit { try ServerConfiguration.load(path: from) }
            let target = await ServerRunner.orExit { try ServerConfiguration.load(path: to) }
            let report = await ServerRunner.orExit {
                try await StoreCopy.run(from: source, to: target, logger: Logger(label: "kmsd.store-copy"))
            }
            FileHandle.standardOutput.write(Data("copied and verified \(report)\n".utf8))
        }
    }
}
