import KMSCore

/// One page of a key's tags, in tag key order.
public struct TagPage: Sendable, Equatable {
    public let tags: [String: String]
    /// Empty on the last page.
    public let nextPageToken: String
}

extension KeyManagementService {
    /// The beginning of the tag keys AWS KMS reserves for itself; reserved here too, so that
    /// tags moved from AWS meet the same rule.
    public static let reservedTagKeyPrefix = "aws:"
}

extension KeyManagementService {
    /// Adds tags to a key, replacing the value of tag keys it already has
    /// (`kms:TagResource`). Either every tag is applied or none is.
    ///
    /// - Parameters:
    ///   - keyID: A key id or `alias/NAME`.
    ///   - tags: At least one; keys of 1–128 characters, values of at most 256.
    /// - Throws: `.validation` for a bad or missing tag; `.limitExceeded` when the key would
    ///   end with more than 50 tags; `.keyNotFound`, `.accessDenied`.
    public func tagResource(keyID raw: String, tags: [String: String], context: RequestContext) async throws(KMSError) {
        guard !tags.isEmpty else { throw KMSError(.validation, "tags must contain at least one tag") }
        try Validation.tags(tags)
        let (key, alias) = try await loadKey(named: raw)
        try authorize(.tagResource, on: key, via: alias, context: context)
        try await commit("tag key", context: context) { try await store.tagKey(key.id, tags: tags, maxTags: Limits.maxTags) }
        cache.invalidate(key.id)
        logger.info("key tagged", metadata: ["key_id": "\(key.id)", "principal": "\(context.principal)"])
    }

    /// Removes tags from a key (`kms:UntagResource`); tag keys it does not have are ignored.
    ///
    /// - Parameters:
    ///   - keyID: A key id or `alias/NAME`.
    ///   - tagKeys: At least one tag key of 1–128 characters.
    /// - Throws: `.validation`, `.keyNotFound`, `.accessDenied`.
    public func untagResource(keyID raw: String, tagKeys: [String], context: RequestContext) async throws(KMSError) {
        try Validation.tagKeys(tagKeys)
        let (key, alias) = try await loadKey(named: raw)
        try authorize(.untagResource, on: key, via: alias, context: context)
        try await commit("untag key", context: context) { try await store.untagKey(key.id, tagKeys: tagKeys) }
        cache.invalidate(key.id)
        logger.info("key untagged", metadata: ["key_id": "\(key.id)", "principal": "\(context.principal)"])
    }

    /// A key's tags: tag key to tag value (`kms:ListResourceTags`).
    ///
    /// - Parameter keyID: A key id or `alias/NAME`.
    /// - Throws: `.validation`, `.keyNotFound`, `.accessDenied`.
    public func listResourceTags(
        keyID raw: String, pageSize: Int = 0, pageToken: String = "", context: RequestContext
    ) async throws(KMSError) -> TagPage {
        let limit = try PageToken.pageSize(pageSize)
        let after = try PageToken.decode(pageToken) { $0 }
        let (key, alias) = try await loadKey(named: raw)
        try authorize(.listResourceTags, on: key, via: alias, context: context)
        let remaining = key.stored.tags.keys.sorted().filter { tagKey in after.map { tagKey > $0 } ?? true }
        let page = remaining.prefix(limit)
        return TagPage(
            tags: Dictionary(uniqueKeysWithValues: page.map { ($0, key.stored.tags[$0] ?? "") }),
            nextPageToken: remaining.count > limit ? page.last.map(PageToken.encode) ?? "" : ""
        )
    }
}
