import Foundation
import KMSCore
import KMSPolicy
import KMSStorage

/// The input of `createGrant`.
public struct CreateGrantRequest: Sendable {
    /// A key id or `alias/NAME`.
    public var keyID: String
    /// The principal the grant allows.
    public var granteePrincipal: String
    /// RPC names (`Decrypt`, `GenerateDataKey`…), each in `Grant.grantableOperations`.
    public var operations: [String]
    /// Optional (empty): a principal who may retire the grant besides the grantee.
    public var retiringPrincipal: String
    /// Limits on the encryption context; only for cryptographic operations.
    public var constraints: GrantConstraints
    /// Optional (empty): makes the call idempotent. At most 256 characters of `[A-Za-z0-9:/_-]`.
    public var name: String

    /// Creates a request.
    public init(
        keyID: String,
        granteePrincipal: String,
        operations: [String],
        retiringPrincipal: String = "",
        constraints: GrantConstraints = GrantConstraints(),
        name: String = ""
    ) {
        self.keyID = keyID
        self.granteePrincipal = granteePrincipal
        self.operations = operations
        self.retiringPrincipal = retiringPrincipal
        self.constraints = constraints
        self.name = name
    }
}

extension KeyManagementService {
    /// Gives a principal some operations on a key, within encryption-context constraints
    /// (`kms:CreateGrant` on the key, with `kms:GrantOperations` and `kms:GranteePrincipal`).
    ///
    /// The grant works from the next request on and adds to the policies; it never
    /// overrides a Deny. With a `name`, repeating the call with the same parameters returns
    /// the existing grant instead of making another.
    ///
    /// - Returns: The grant's id (64 hexadecimal characters) and its token for `retireGrant`.
    /// - Throws: `.validation` for a bad field, `.limitExceeded` for a too large constraint
    ///   map or past 50,000 grants on the key, `.keyNotFound`, `.accessDenied`,
    ///   `.keyPendingDeletion` and `.keyDestroyed`.
    public func createGrant(_ request: CreateGrantRequest, context: RequestContext) async throws(KMSError) -> (grantID: String, grantToken: String) {
        let grantee = try GrantValidation.principal(request.granteePrincipal, field: "grantee_principal")
        let retiring = request.retiringPrincipal.isEmpty ? nil : Principal(request.retiringPrincipal)
        let operations = try GrantValidation.operations(request.operations)
        try GrantValidation.constraints(request.constraints, operations: operations)
        let name = try GrantValidation.name(request.name)
        let (key, alias) = try await loadKey(named: request.keyID)

        var access = accessRequest(.createGrant, on: key, via: alias, principal: context.principal, sourceIP: context.sourceIP)
        access.grantOperations = operations.map(\.rpcName)
        access.granteePrincipal = grantee
        if case .allowedByGrant = try authorize(access, on: key, audit: context.audit) {
            try requireWithinHeldGrant(operations: operations, constraints: request.constraints, on: key, context: context)
        }
        try key.requireGrantable()

        let grant = Grant(
            grantID: GrantIdentifiers.newID(),
            keyID: key.id,
            name: name,
            creationDate: clock().roundedToMicroseconds,
            granteePrincipal: grantee,
            retiringPrincipal: retiring,
            issuingPrincipal: context.principal,
            operations: operations,
            constraints: request.constraints,
            token: GrantIdentifiers.newToken()
        )
        if let name, let existing = try await storage("find grant by name", { try await store.grant(named: name, keyID: key.id) })
            .first(where: { $0.hasSameParameters(as: grant) }) {
            return (existing.grantID, existing.token)
        }
        try await commit("create grant", context: context) { try await store.createGrant(grant) }
        cache.invalidate(key.id)
        logger.info("grant created", metadata: [
            "key_id": "\(key.id)", "grant_id": "\(grant.grantID)", "grantee": "\(grantee)", "principal": "\(context.principal)",
        ])
        return (grant.grantID, grant.token)
    }
}

extension KeyManagementService {
    /// Checks a CreateGrant that only a grant allows (no policy statement): the caller must
    /// hold a grant on the key that lists CreateGrant, allows every requested operation and
    /// is no stricter than the requested constraints, so a grant can never give more than
    /// it holds (AWS KMS's rule).
    ///
    /// - Throws: `.accessDenied`.
    private func requireWithinHeldGrant(
        operations: [KMSAction], constraints: GrantConstraints, on key: CachedKey, context: RequestContext
    ) throws(KMSError) {
        let held = key.grants.filter { $0.granteePrincipal == context.principal }
        guard held.contains(where: { $0.permitsChildGrant(operations: operations, constraints: constraints) }) else {
            throw KMSError(
                .accessDenied,
                "\(context.principal) may create grants on key \(key.id) only through a grant, and no grant it holds allows "
                    + "all of \(operations.map(\.rpcName).joined(separator: ", ")) with constraints at least as strict as requested"
            )
        }
    }
}

extension Grant {
    /// Whether a second CreateGrant with the same name asks for this very grant.
    func hasSameParameters(as other: Grant) -> Bool {
        keyID == other.keyID && name == other.name && granteePrincipal == other.granteePrincipal
            && retiringPrincipal == other.retiringPrincipal && operations == other.operations
            && constraints == other.constraints
    }
}

extension CachedKey {
    /// Checks that grants may be created on the key: not while its deletion is pending,
    /// nor after its material was destroyed.
    ///
    /// - Throws: `.keyPendingDeletion` or `.keyDestroyed`.
    func requireGrantable() throws(KMSError) {
        switch metadata.keyState {
        case .enabled, .disabled: break
        case .pendingDeletion: throw KMSError(.keyPendingDeletion, "key \(id) is pending deletion")
        case .destroyed: throw KMSError(.keyDestroyed, "the material of key \(id) was destroyed")
        }
    }
}
