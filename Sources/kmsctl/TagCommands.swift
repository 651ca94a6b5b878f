import ArgumentParser
import KMSProto

/// `kmsctl tag-resource`: TagResource.
struct TagResource: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "tag-resource",
        abstract: "Add tags to a key, or replace the values of tags it has (TagResource).",
        discussion: "Prints nothing on success ({} with --json). A key has at most 50 tags."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("key-id"), help: "The key's id or alias (alias/NAME).")
    var keyID: String

    @Option(
        name: .customLong("tag"),
        help: ArgumentHelp("A tag; repeat for more. Split at the first '='.", valueName: "key=value"),
        transform: { try KeyValuePair(parsing: $0) }
    )
    var tags: [KeyValuePair] = []

    func validate() throws {
        guard !tags.isEmpty else { throw ValidationError("give at least one --tag") }
        _ = try KeyValuePair.dictionary(tags, option: "--tag")
    }

    func execute() async throws {
        var request = Kms_V1_TagResourceRequest()
        request.keyID = keyID
        request.tags = try KeyValuePair.dictionary(tags, option: "--tag")
        let response = try await global.withClient { [request, global] client in
            try await client.tagResource(request, options: global.callOptions)
        }
        try global.emit(response) {}
    }
}

/// `kmsctl untag-resource`: UntagResource.
struct UntagResource: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "untag-resource",
        abstract: "Remove tags from a key (UntagResource).",
        discussion: "Prints nothing on success ({} with --json). Tag keys the key does not have are ignored."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("key-id"), help: "The key's id or alias (alias/NAME).")
    var keyID: String

    @Option(name: .customLong("tag-key"), help: ArgumentHelp("The key of a tag to remove; repeat for more.", valueName: "key"))
    var tagKeys: [String] = []

    func validate() throws {
        guard !tagKeys.isEmpty else { throw ValidationError("give at least one --tag-key") }
    }

    func execute() async throws {
        let request = Kms_V1_UntagResourceRequest.with {
            $0.keyID = keyID
            $0.tagKeys = tagKeys
        }
        let response = try await global.withClient { [global] client in
            try await client.untagResource(request, options: global.callOptions)
        }
        try global.emit(response) {}
    }
}

/// `kmsctl list-resource-tags`: ListResourceTags.
struct ListResourceTags: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "list-resource-tags",
        abstract: "List a key's tags, sorted by tag key (ListResourceTags)."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("key-id"), help: "The key's id or alias (alias/NAME).")
    var keyID: String

    func execute() async throws {
        let request = Kms_V1_ListResourceTagsRequest.with { $0.keyID = keyID }
        let response = try await global.withClient { [global] client in
            try await client.listResourceTags(request, options: global.callOptions)
        }
        try global.emit(response) {
            printTable(
                header: ["TAG KEY", "VALUE"],
                rows: response.tags.sorted { $0.key < $1.key }.map { [$0.key, $0.value] }
            )
        }
    }
}
