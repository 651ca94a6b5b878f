import ArgumentParser
import Foundation
import KMSCore
import KMSProto

/// `kmsctl create-key`: CreateKey.
struct CreateKey: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-key",
        abstract: "Create a key and print its metadata (CreateKey)."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("description"), help: "A description of the key (at most 8192 characters).")
    var keyDescription: String = ""

    @Option(name: .customLong("key-spec"), help: "The kind of key material (default: SYMMETRIC_DEFAULT).")
    var keySpec: EnumArgument<Kms_V1_KeySpec>?

    @Option(name: .customLong("key-usage"), help: "What the key may be used for (default: the spec's: SIGN_VERIFY for ECC and ED25519, GENERATE_VERIFY_MAC for HMAC, else ENCRYPT_DECRYPT).")
    var keyUsage: EnumArgument<Kms_V1_KeyUsage>?

    @Option(name: .customLong("policy-file"), help: ArgumentHelp("The key policy, a JSON document ('-' for stdin); default: the creator may do anything with the key.", valueName: "file"))
    var policyFile: String?

    @Option(
        name: .customLong("tag"),
        help: ArgumentHelp("A tag; repeat for more. Split at the first '='.", valueName: "key=value"),
        transform: { try KeyValuePair(parsing: $0) }
    )
    var tags: [KeyValuePair] = []

    func validate() throws {
        _ = try KeyValuePair.dictionary(tags, option: "--tag")
    }

    func execute() async throws {
        var request = Kms_V1_CreateKeyRequest()
        request.description_p = keyDescription
        request.keySpec = keySpec?.value ?? .unspecified
        request.keyUsage = keyUsage?.value ?? .unspecified
        request.tags = try KeyValuePair.dictionary(tags, option: "--tag")
        if let policyFile {
            request.policy = try readPolicy(policyFile)
        }
        let response = try await global.withClient { [request, global] client in
            try await client.createKey(request, options: global.callOptions)
        }
        try global.emit(response) { printKeyMetadata(response.keyMetadata) }
    }
}

/// `kmsctl describe-key`: DescribeKey.
struct DescribeKey: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe-key",
        abstract: "Print a key's metadata (DescribeKey)."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("key-id"), help: "The key's id or alias (alias/NAME).")
    var keyID: String

    func execute() async throws {
        let request = Kms_V1_DescribeKeyRequest.with { $0.keyID = keyID }
        let response = try await global.withClient { [global] client in
            try await client.describeKey(request, options: global.callOptions)
        }
        try global.emit(response) { printKeyMetadata(response.keyMetadata) }
    }
}

/// `kmsctl list-keys`: ListKeys, one page or all of them.
struct ListKeys: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "list-keys",
        abstract: "List keys, a page at a time or all of them (ListKeys).",
        discussion: "Without --all, the token of the next page, if any, is printed on stderr."
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var paging: PageOptions

    func execute() async throws {
        let response = try await global.withClient { [global, paging] client in
            try await paging.collect(Kms_V1_ListKeysRequest()) { request in
                try await client.listKeys(request, options: global.callOptions)
            }
        }
        try global.emit(response) {
            printTable(
                header: ["KEY ID", "STATE", "SPEC", "USAGE", "DESCRIPTION"],
                rows: response.keys.map {
                    [$0.keyID, $0.keyState.displayName, $0.keySpec.displayName, $0.keyUsage.displayName, $0.description_p]
                }
            )
            reportNextPage(response.nextPageToken, items: "keys")
        }
    }
}

/// Reads a policy document from `path` (`-` for stdin).
///
/// - Throws: `CommandFailure` when the file cannot be read, is larger than a policy may be,
///   or is not UTF-8.
func readPolicy(_ path: String) throws(CommandFailure) -> String {
    let bytes = try InputFile.read(path, limit: Limits.maxPolicyBytes, limitName: "the largest policy document")
    guard let text = String(data: bytes, encoding: .utf8) else {
        throw CommandFailure("'\(path)' is not UTF-8 text")
    }
    return text
}
