import Foundation
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
        let key = try await loadKey(KeyReference.parse(raw, field: "key_id"))
        try authorize(.describeKey, on: key, context: context)
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
        let after = try PageToken.decode(pageToken)
        try authorize(.listKeys, on: nil, context: context)
        let stored = try await storage("list keys") { try await store.listKeys(after: after, limit: limit + 1) }
        let page = stored.prefix(limit).map(\.metadata)
        let next = stored.count > limit ? page.last.map { PageToken.encode($0.keyID) } ?? "" : ""
        return KeyPage(keys: Array(page), nextPageToken: next)
    }
}

/// Opaque page tokens for list calls: the last key id of the previous page.
enum PageToken {
    static func pageSize(_ size: Int) throws(KMSError) -> Int {
        if size == 0 { return Limits.defaultPageSize }
        guard Limits.pageSize.contains(size) else {
            throw KMSError(.validation, "page_size must be between \(Limits.pageSize.lowerBound) and \(Limits.pageSize.upperBound)")
        }
        return size
    }

    static func encode(_ last: KeyID) -> String {
        Data(last.description.utf8).base64EncodedString()
    }

    static func decode(_ token: String) throws(KMSError) -> KeyID? {
        guard !token.isEmpty else { return nil }
        guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8),
              let id = KeyID(string: text)
        else {
            throw KMSError(.validation, "page_token is not a token returned by this call")
        }
        return id
    }
}
