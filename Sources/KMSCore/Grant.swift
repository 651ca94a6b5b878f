import Foundation

/// Permission for one principal to perform some operations on one key, within
/// encryption-context constraints. Grants add to policies; they never override a Deny.
public struct Grant: Sendable, Equatable {
    /// 64 lower-case hexadecimal characters.
    public var grantID: String
    public var keyID: KeyID
    /// Makes CreateGrant idempotent when given.
    public var name: String?
    public var creationDate: Date
    /// The principal the grant allows.
    public var granteePrincipal: Principal
    /// A principal who may retire the grant, besides the grantee.
    public var retiringPrincipal: Principal?
    /// The principal that created the grant.
    public var issuingPrincipal: Principal
    /// The allowed operations, as policy actions (`kms:Decrypt`…), sorted by name.
    public var operations: [KMSAction]
    public var constraints: GrantConstraints
    /// The opaque token that identifies the grant to RetireGrant.
    public var token: String

    public init(
        grantID: String,
        keyID: KeyID,
        name: String?,
        creationDate: Date,
        granteePrincipal: Principal,
        retiringPrincipal: Principal?,
        issuingPrincipal: Principal,
        operations: [KMSAction],
        constraints: GrantConstraints,
        token: String
    ) {
        self.grantID = grantID
        self.keyID = keyID
        self.name = name
        self.creationDate = creationDate
        self.granteePrincipal = granteePrincipal
        self.retiringPrincipal = retiringPrincipal
        self.issuingPrincipal = issuingPrincipal
        self.operations = operations
        self.constraints = constraints
        self.token = token
    }

    /// The operations that take an encryption context: a grant's constraints apply to these
    /// and to no other operation.
    public static let contextOperations: Set<KMSAction> = [
        .decrypt, .encrypt, .generateDataKey, .generateDataKeyWithoutPlaintext, .reEncryptFrom, .reEncryptTo,
        .generateDataKeyPair, .generateDataKeyPairWithoutPlaintext,
    ]

    /// The operations a constrained grant may list besides `contextOperations`, as AWS KMS
    /// allows; the constraints do not apply to them (for CreateGrant they bound the grants
    /// it creates instead).
    public static let unconstrainedOperations: Set<KMSAction> = [.describeKey, .retireGrant, .createGrant]

    /// The operations a grant may allow (AWS KMS's grant operations for symmetric keys).
    public static let grantableOperations: [KMSAction] = [
        .decrypt, .encrypt, .generateDataKey, .generateDataKeyWithoutPlaintext, .reEncryptFrom, .reEncryptTo,
        .describeKey, .createGrant, .retireGrant,
        .sign, .verify, .getPublicKey, .generateMac, .verifyMac, .generateDataKeyPair, .generateDataKeyPairWithoutPlaintext,
    ]
}

/// Limits on the encryption context of requests a grant allows. Empty maps mean no limit.
public struct GrantConstraints: Sendable, Equatable {
    /// The request's context must be exactly these pairs.
    public var encryptionContextEquals: [String: String]
    /// The request's context must contain these pairs.
    public var encryptionContextSubset: [String: String]

    public init(encryptionContextEquals: [String: String] = [:], encryptionContextSubset: [String: String] = [:]) {
        self.encryptionContextEquals = encryptionContextEquals
        self.encryptionContextSubset = encryptionContextSubset
    }

    /// Whether a request with `context` is within the constraints.
    public func allow(_ context: EncryptionContext) -> Bool {
        if !encryptionContextEquals.isEmpty, context.pairs != encryptionContextEquals { return false }
        return encryptionContextSubset.allSatisfy { context.pairs[$0.key] == $0.value }
    }
}
