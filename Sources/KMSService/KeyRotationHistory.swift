import Foundation
import KMSCore

/// One rotation of a key: the version it made.
public struct KeyRotationEntry: Sendable, Equatable {
    /// The version the rotation made (2 or more).
    public let version: KeyVersion
    /// When the version was made.
    public let creationDate: Date
    /// `.automatic` or `.onDemand`.
    public let rotationType: RotationType

    /// Creates an entry.
    public init(version: KeyVersion, creationDate: Date, rotationType: RotationType) {
        self.version = version
        self.creationDate = creationDate
        self.rotationType = rotationType
    }
}

/// One page of `listKeyRotations`.
public struct KeyRotationPage: Sendable {
    /// The rotations, oldest first.
    public let rotations: [KeyRotationEntry]
    /// Empty on the last page.
    public let nextPageToken: String
}

extension KeyManagementService {
    /// The rotations of a key, oldest first, a page at a time (`kms:ListKeyRotations`).
    /// Version 1, made with the key, is not a rotation; a destroyed key has none left.
    ///
    /// - Parameters:
    ///   - keyID: A key id or `alias/NAME`.
    ///   - pageSize: 1–1000, or 0 for the default of 100.
    ///   - pageToken: Empty, or the `nextPageToken` of the previous page of the same listing.
    /// - Throws: `.validation` for a bad size, token or key id; `.keyNotFound`, `.accessDenied`.
    public func listKeyRotations(keyID raw: String, pageSize: Int, pageToken: String, context: RequestContext) async throws(KMSError) -> KeyRotationPage {
        let limit = try PageToken.pageSize(pageSize)
        let after = try PageToken.decode(pageToken) { KeyVersion($0) }
        let (key, alias) = try await loadKey(named: raw)
        try authorize(.listKeyRotations, on: key, via: alias, context: context)
        let versions = try await storage("list key versions") {
            try await store.listVersions(key.id, after: max(after ?? 1, 1), limit: limit + 1)
        }
        let page = versions.prefix(limit).map {
            KeyRotationEntry(version: $0.version, creationDate: $0.creationDate, rotationType: $0.rotationType)
        }
        let next = versions.count > limit ? page.last.map { PageToken.encode(String($0.version)) } ?? "" : ""
        return KeyRotationPage(rotations: Array(page), nextPageToken: next)
    }
}
