import ArgumentParser
import Foundation
import KMSProto

/// `[--page-size N] [--page-token T] [--all]`: which page of a list call to fetch.
struct PageOptions: ParsableArguments {
    @Option(name: .customLong("page-size"), help: "Items per page, 1–1000 (default: the server's, 100).")
    var pageSize: Int32?

    @Option(name: .customLong("page-token"), help: "Start at this page, a previous call's next page token.")
    var pageToken: String?

    @Flag(help: "Follow next page tokens and list every item.")
    var all = false
}

/// A list request that names its page.
protocol PagedRequest: Sendable {
    var pageSize: Int32 { get set }
    var pageToken: String { get set }
}

/// A list response: one page of items and the token of the next page.
protocol PagedResponse: Sendable {
    var nextPageToken: String { get set }

    /// Appends the items of `page` to this response's.
    mutating func append(itemsOf page: Self)
}

extension Kms_V1_ListKeysRequest: PagedRequest {}
extension Kms_V1_ListAliasesRequest: PagedRequest {}
extension Kms_V1_ListKeyRotationsRequest: PagedRequest {}

extension Kms_V1_ListKeysResponse: PagedResponse {
    mutating func append(itemsOf page: Self) { keys += page.keys }
}

extension Kms_V1_ListAliasesResponse: PagedResponse {
    mutating func append(itemsOf page: Self) { aliases += page.aliases }
}

extension Kms_V1_ListKeyRotationsResponse: PagedResponse {
    mutating func append(itemsOf page: Self) { rotations += page.rotations }
}

extension PageOptions {
    /// Fetches the page these options name, or with --all that page and every one after
    /// it, combined into one response whose next page token is empty.
    ///
    /// - Parameters:
    ///   - request: the request, without page size and token; these options fill them in.
    ///   - fetch: calls the server for one page.
    /// - Throws: `CommandFailure` when the server returns the same page token twice;
    ///   whatever `fetch` throws.
    func collect<Request: PagedRequest, Response: PagedResponse>(
        _ request: Request,
        fetch: (Request) async throws -> Response
    ) async throws -> Response {
        var request = request
        request.pageSize = pageSize ?? 0
        request.pageToken = pageToken ?? ""
        var combined = try await fetch(request)
        while all, !combined.nextPageToken.isEmpty {
            guard combined.nextPageToken != request.pageToken else {
                throw CommandFailure("the server returned the same page token twice")
            }
            request.pageToken = combined.nextPageToken
            let page = try await fetch(request)
            combined.append(itemsOf: page)
            combined.nextPageToken = page.nextPageToken
        }
        return combined
    }
}

/// Tells on stderr how to fetch the next page, when there is one: `more <items>: --page-token T`.
func reportNextPage(_ token: String, items: String) {
    guard !token.isEmpty else { return }
    FileHandle.standardError.write(Data("more \(items): --page-token \(token)\n".utf8))
}
