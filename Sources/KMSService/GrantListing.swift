import KMSCore

/// One page of `listGrants` or `listRetirableGrants`.
public struct GrantPage: Sendable {
    /// The grants, in ascending order of their ids.
    public let grants: [Grant]
    /// Empty on the last page.
    public let nextPageToken: String
}

extension KeyManagementService {
    /// The live grants of a key, ordered by grant id, a page at a time (`kms:ListGrants`
    /// on the key).
    ///
    /// - Parameters:
    ///   - keyID: A key id or `alias/NAME`.
    ///   - grantID: Empty, or only the grant with this id.
    ///   - granteePrincipal: Empty, or only the grants for this principal.
    ///   - pageSize: 1–1000, or 0 for the default of 100.
    ///   - pageToken: Empty, or the `nextPageToken` of the previous page of the same listing.
    /// - Throws: `.validation` for a bad size, token, key id or grant id; `.keyNotFound`;
    ///   `.accessDenied`.
    public func listGrants(
        keyID raw: String,
        grantID: String,
        granteePrincipal: String,
        pageSize: Int,
        pageToken: String,
        context: RequestContext
    ) async throws(KMSError) -> GrantPage {
        let limit = try PageToken.pageSize(pageSize)
        let after = try Self.grantCursor(pageToken)
        let onlyID = grantID.isEmpty ? nil : try GrantValidation.grantID(grantID)
        let grantee = granteePrincipal.isEmpty ? nil : Principal(granteePrincipal)
        let (key, alias) = try await loadKey(named: raw)
        try authorize(.listGrants, on: key, via: alias, context: context)
        let stored = try await storage("list grants") {
            try await store.listGrants(keyID: key.id, grantID: onlyID, grantee: grantee, after: after, limit: limit + 1)
        }
        return Self.page(of: stored, limit: limit)
    }

    /// The grants a principal may retire, ordered by grant id, a page at a time
    /// (`kms:ListRetirableGrants`, server policy).
    ///
    /// - Parameters:
    ///   - retiringPrincipal: The retiring principal whose grants to list; required.
    ///   - pageSize: 1–1000, or 0 for the default of 100.
    ///   - pageToken: Empty, or the `nextPageToken` of the previous page of the same listing.
    /// - Throws: `.validation` for a bad size or token or an empty principal; `.accessDenied`.
    public func listRetirableGrants(
        retiringPrincipal: String,
        pageSize: Int,
        pageToken: String,
        context: RequestContext
    ) async throws(KMSError) -> GrantPage {
        let limit = try PageToken.pageSize(pageSize)
        let after = try Self.grantCursor(pageToken)
        let retiring = try GrantValidation.principal(retiringPrincipal, field: "retiring_principal")
        try authorize(.listRetirableGrants, on: nil, context: context)
        let stored = try await storage("list retirable grants") {
            try await store.listRetirableGrants(retiringPrincipal: retiring, after: after, limit: limit + 1)
        }
        return Self.page(of: stored, limit: limit)
    }

    /// The grant id a page token continues after; `nil` for the first page.
    ///
    /// - Throws: `.validation` for a token not made by a grant listing.
    private static func grantCursor(_ token: String) throws(KMSError) -> String? {
        try PageToken.decode(token) { GrantValidation.isGrantID($0) ? $0 : nil }
    }

    /// The first `limit` grants, with a token to the next page when the store returned more.
    private static func page(of grants: [Grant], limit: Int) -> GrantPage {
        let page = Array(grants.prefix(limit))
        let next = grants.count > limit ? page.last.map { PageToken.encode($0.grantID) } ?? "" : ""
        return GrantPage(grants: page, nextPageToken: next)
    }
}
