import ArgumentParser
import KMSProto

/// `kmsctl create-grant`: CreateGrant.
struct CreateGrant: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-grant",
        abstract: "Give a principal some operations on a key, within context constraints (CreateGrant).",
        discussion: """
            Prints the grant id and the grant token. Operations are RPC names: Encrypt, Decrypt, \
            GenerateDataKey, GenerateDataKeyWithoutPlaintext, ReEncryptFrom, ReEncryptTo, \
            DescribeKey, CreateGrant, RetireGrant. Constraints are only allowed when every \
            operation is a cryptographic one. With --name, repeating the same call returns the \
            same grant. A grant never overrides a Deny.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("key-id"), help: "The key's id or alias (alias/NAME).")
    var keyID: String

    @Option(name: .customLong("grantee-principal"), help: "The principal the grant allows.")
    var granteePrincipal: String

    @Option(name: .customLong("operation"), help: ArgumentHelp("An operation to allow; repeat for more.", valueName: "RPC name"))
    var operations: [String] = []

    @Option(name: .customLong("retiring-principal"), help: "A principal who may retire the grant, besides the grantee.")
    var retiringPrincipal: String?

    @Option(
        name: .customLong("context-equals"),
        help: ArgumentHelp("The request's encryption context must be exactly these pairs; repeat for more.", valueName: "key=value"),
        transform: { try KeyValuePair(parsing: $0) }
    )
    var contextEquals: [KeyValuePair] = []

    @Option(
        name: .customLong("context-subset"),
        help: ArgumentHelp("The request's encryption context must contain these pairs; repeat for more.", valueName: "key=value"),
        transform: { try KeyValuePair(parsing: $0) }
    )
    var contextSubset: [KeyValuePair] = []

    @Option(name: .customLong("name"), help: "A name that makes the call idempotent.")
    var name: String?

    func validate() throws {
        guard !operations.isEmpty else { throw ValidationError("give at least one --operation") }
        _ = try constraints()
    }

    /// The constraints the options give.
    ///
    /// - Throws: `ValidationError` when an option gives a key twice or is not a valid context.
    private func constraints() throws(ValidationError) -> Kms_V1_GrantConstraints {
        var constraints = Kms_V1_GrantConstraints()
        if !contextEquals.isEmpty {
            constraints.encryptionContextEquals = try KeyValuePair.encryptionContext(contextEquals, option: "--context-equals").pairs
        }
        if !contextSubset.isEmpty {
            constraints.encryptionContextSubset = try KeyValuePair.encryptionContext(contextSubset, option: "--context-subset").pairs
        }
        return constraints
    }

    func execute() async throws {
        var request = Kms_V1_CreateGrantRequest()
        request.keyID = keyID
        request.granteePrincipal = granteePrincipal
        request.operations = operations
        request.retiringPrincipal = retiringPrincipal ?? ""
        request.name = name ?? ""
        let constraints = try constraints()
        if constraints != Kms_V1_GrantConstraints() {
            request.constraints = constraints
        }
        let response = try await global.withClient { [request, global] client in
            try await client.createGrant(request, options: global.callOptions)
        }
        try global.emit(response) {
            printLabelled([("GrantId", response.grantID), ("GrantToken", response.grantToken)])
        }
    }
}

/// `kmsctl list-grants`: ListGrants of one key, one page or all of them.
struct ListGrants: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "list-grants",
        abstract: "List the grants of a key by grant id, a page at a time or all of them (ListGrants).",
        discussion: "Grant tokens are never listed. Without --all, the token of the next page, if any, is printed on stderr."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("key-id"), help: "The key's id or alias (alias/NAME).")
    var keyID: String

    @Option(name: .customLong("grant-id"), help: "Only this grant.")
    var grantID: String?

    @Option(name: .customLong("grantee-principal"), help: "Only the grants for this principal.")
    var granteePrincipal: String?

    @OptionGroup var paging: PageOptions

    func execute() async throws {
        let first = Kms_V1_ListGrantsRequest.with {
            $0.keyID = keyID
            $0.grantID = grantID ?? ""
            $0.granteePrincipal = granteePrincipal ?? ""
        }
        let response = try await global.withClient { [global, paging] client in
            try await paging.collect(first) { request in
                try await client.listGrants(request, options: global.callOptions)
            }
        }
        try global.emit(response) {
            printGrants(response.grants)
            reportNextPage(response.nextPageToken, items: "grants")
        }
    }
}

/// `kmsctl list-retirable-grants`: ListRetirableGrants, one page or all of them.
struct ListRetirableGrants: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "list-retirable-grants",
        abstract: "List the grants a principal may retire, of every key (ListRetirableGrants).",
        discussion: "Needs kms:ListRetirableGrants in the server policy. Without --all, the token of the next page, if any, is printed on stderr."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("retiring-principal"), help: "The principal named as the grants' retiring principal.")
    var retiringPrincipal: String

    @OptionGroup var paging: PageOptions

    func execute() async throws {
        let first = Kms_V1_ListRetirableGrantsRequest.with { $0.retiringPrincipal = retiringPrincipal }
        let response = try await global.withClient { [global, paging] client in
            try await paging.collect(first) { request in
                try await client.listRetirableGrants(request, options: global.callOptions)
            }
        }
        try global.emit(response) {
            printGrants(response.grants)
            reportNextPage(response.nextPageToken, items: "grants")
        }
    }
}

/// `kmsctl retire-grant`: RetireGrant, by grant token or by key and grant id.
struct RetireGrant: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "retire-grant",
        abstract: "End a grant, as its grantee or retiring principal (RetireGrant).",
        discussion: """
            Name the grant with --grant-token, or with --key-id and --grant-id. Prints nothing \
            on success ({} with --json). An unknown grant fails with GRANT_NOT_FOUND.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("grant-token"), help: "The grant's token, as CreateGrant returned it.")
    var grantToken: String?

    @Option(name: .customLong("key-id"), help: "The key's id or alias (alias/NAME), with --grant-id.")
    var keyID: String?

    @Option(name: .customLong("grant-id"), help: "The grant's id, with --key-id.")
    var grantID: String?

    func validate() throws {
        guard grantToken != nil || (keyID != nil && grantID != nil) else {
            throw ValidationError("give --grant-token, or --key-id and --grant-id")
        }
    }

    func execute() async throws {
        let request = Kms_V1_RetireGrantRequest.with {
            $0.grantToken = grantToken ?? ""
            $0.keyID = keyID ?? ""
            $0.grantID = grantID ?? ""
        }
        let response = try await global.withClient { [global] client in
            try await client.retireGrant(request, options: global.callOptions)
        }
        try global.emit(response) {}
    }
}

/// `kmsctl revoke-grant`: RevokeGrant.
struct RevokeGrant: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke-grant",
        abstract: "End a grant, as a key administrator (RevokeGrant).",
        discussion: "Prints nothing on success ({} with --json). An unknown grant fails with GRANT_NOT_FOUND."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("key-id"), help: "The key's id or alias (alias/NAME).")
    var keyID: String

    @Option(name: .customLong("grant-id"), help: "The grant's id.")
    var grantID: String

    func execute() async throws {
        let request = Kms_V1_RevokeGrantRequest.with {
            $0.keyID = keyID
            $0.grantID = grantID
        }
        let response = try await global.withClient { [global] client in
            try await client.revokeGrant(request, options: global.callOptions)
        }
        try global.emit(response) {}
    }
}

extension Kms_V1_ListGrantsRequest: PagedRequest {}
extension Kms_V1_ListRetirableGrantsRequest: PagedRequest {}

extension Kms_V1_ListGrantsResponse: PagedResponse {
    mutating func append(itemsOf page: Self) { grants += page.grants }
}

extension Kms_V1_ListRetirableGrantsResponse: PagedResponse {
    mutating func append(itemsOf page: Self) { grants += page.grants }
}

/// Prints grants as a table, one row per grant.
private func printGrants(_ grants: [Kms_V1_GrantListEntry]) {
    printTable(
        header: ["GRANT ID", "KEY ID", "NAME", "GRANTEE", "RETIRING PRINCIPAL", "OPERATIONS", "CONSTRAINTS"],
        rows: grants.map { grant in
            [
                grant.grantID, grant.keyID, grant.name.isEmpty ? "-" : grant.name, grant.granteePrincipal,
                grant.retiringPrincipal.isEmpty ? "-" : grant.retiringPrincipal,
                grant.operations.joined(separator: ","), constraintsText(grant.constraints),
            ]
        }
    )
}

/// `equals{k=v} subset{k=v}`, or `-` for none.
private func constraintsText(_ constraints: Kms_V1_GrantConstraints) -> String {
    func pairs(_ map: [String: String]) -> String {
        map.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
    var parts: [String] = []
    if !constraints.encryptionContextEquals.isEmpty { parts.append("equals{\(pairs(constraints.encryptionContextEquals))}") }
    if !constraints.encryptionContextSubset.isEmpty { parts.append("subset{\(pairs(constraints.encryptionContextSubset))}") }
    return parts.isEmpty ? "-" : parts.joined(separator: " ")
}
