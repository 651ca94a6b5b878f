import ArgumentParser
import KMSProto

/// `kmsctl create-alias`: CreateAlias.
struct CreateAlias: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-alias",
        abstract: "Give a key a stable name, usable wherever --key-id is (CreateAlias).",
        discussion: """
            Prints nothing on success ({} with --json). A name is alias/ followed by 1 or more of \
            A-Z a-z 0-9 / _ -, at most 256 characters in all; names under alias/kms/ are \
            reserved. A name in use fails with ALREADY_EXISTS.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("alias-name"), help: ArgumentHelp("The alias, alias/NAME.", valueName: "alias/NAME"))
    var aliasName: String

    @Option(name: .customLong("target-key-id"), help: "The id of the key the alias names (not an alias).")
    var targetKeyID: String

    func execute() async throws {
        let request = Kms_V1_CreateAliasRequest.with {
            $0.aliasName = aliasName
            $0.targetKeyID = targetKeyID
        }
        let response = try await global.withClient { [global] client in
            try await client.createAlias(request, options: global.callOptions)
        }
        try global.emit(response) {}
    }
}

/// `kmsctl update-alias`: UpdateAlias.
struct UpdateAlias: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "update-alias",
        abstract: "Point an existing alias at another key (UpdateAlias).",
        discussion: "Prints nothing on success ({} with --json)."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("alias-name"), help: ArgumentHelp("The alias, alias/NAME.", valueName: "alias/NAME"))
    var aliasName: String

    @Option(name: .customLong("target-key-id"), help: "The id of the key the alias will name (not an alias).")
    var targetKeyID: String

    func execute() async throws {
        let request = Kms_V1_UpdateAliasRequest.with {
            $0.aliasName = aliasName
            $0.targetKeyID = targetKeyID
        }
        let response = try await global.withClient { [global] client in
            try await client.updateAlias(request, options: global.callOptions)
        }
        try global.emit(response) {}
    }
}

/// `kmsctl delete-alias`: DeleteAlias.
struct DeleteAlias: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete-alias",
        abstract: "Delete an alias; its key is not affected (DeleteAlias).",
        discussion: "Prints nothing on success ({} with --json). A missing alias fails with ALIAS_NOT_FOUND."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("alias-name"), help: ArgumentHelp("The alias, alias/NAME.", valueName: "alias/NAME"))
    var aliasName: String

    func execute() async throws {
        let request = Kms_V1_DeleteAliasRequest.with { $0.aliasName = aliasName }
        let response = try await global.withClient { [global] client in
            try await client.deleteAlias(request, options: global.callOptions)
        }
        try global.emit(response) {}
    }
}

/// `kmsctl list-aliases`: ListAliases, of one key or of all, one page or all of them.
struct ListAliases: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "list-aliases",
        abstract: "List aliases by name, of one key or of all, a page at a time or all of them (ListAliases).",
        discussion: "Without --all, the token of the next page, if any, is printed on stderr."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("key-id"), help: "Only the aliases of this key (its id or an alias of it).")
    var keyID: String?

    @OptionGroup var paging: PageOptions

    func execute() async throws {
        let first = Kms_V1_ListAliasesRequest.with { $0.keyID = keyID ?? "" }
        let response = try await global.withClient { [global, paging] client in
            try await paging.collect(first) { request in
                try await client.listAliases(request, options: global.callOptions)
            }
        }
        try global.emit(response) {
            printTable(header: ["ALIAS NAME", "TARGET KEY ID"], rows: response.aliases.map { [$0.aliasName, $0.targetKeyID] })
            reportNextPage(response.nextPageToken, items: "aliases")
        }
    }
}
