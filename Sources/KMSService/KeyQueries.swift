import KMSCore

/// One page of `listKeys`.
public struct KeyPage: Sendable {
    public let keys: [KeyMetadata]
    /// Empty on the last page.
    public let nextPageToken: String
}

extension KeyManagementService {
    /// The metadata of one key (`kms:DescribeKey`).
    ///
    /// - Throws: `.validation`, `.keyNotFound`, `.accessDenied`.
    public func describeKey(keyID raw: String, context: RequestContext) async throws(KMSError) -> KeyMetadata {
        let (key, alias) = try await loadKey(named: raw)
        try authorize(.describeKey, on: key, via: alias, context: context)
        return key.metadata
    }

    /// Every key, ordered by id, a page at a time (`kms:ListKeys`, server policy).
    ///
    /// - Parameters:
    ///   - pageSize: 1–1000, or 0 for the default of 100.
    ///   - pageToken: empty, or the `nextPageToken` of the previous page.
    /// - Throws: `.validation` for a bad size or token; `.accessDenied`.
    public func listKeys(pageSize: Int, pageToken: String, context: RequestContext) async throws(KMSError) -> KeyPage {
        let limit = try PageToken.pageSize(pageSize)
        let after = try PageToken.decode(pageToken, as: KeyID.init(string:))
        try authorize(.listKeys, on: nil, context: context)
        let stored = try await storage("list keys") { try await store.listKeys(after: after, limit: limit + 1) }
        let page = stored.prefix(limit).map(\.metadata)
        let next = stored.count > limit ? page.last.map { PageToken.encode($0.keyID.description) } ?? "" : ""
        return KeyPage(keys: Array(page), nextPageToken: next)
    }
}
