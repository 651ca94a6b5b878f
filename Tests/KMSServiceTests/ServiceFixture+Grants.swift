import KMSCore
import KMSCrypto
import KMSService

/// Principals, a key policy and short forms for tests about grants.
extension ServiceFixture {
    static let bob = RequestContext(principal: Principal("spiffe://test.example/ns/app/bob"))
    static let carol = RequestContext(principal: Principal("spiffe://test.example/ns/app/carol"))

    /// A key policy that allows the admin everything and nobody else anything.
    static let adminOnlyPolicy = """
    {"Statement": [{"Sid": "Admin", "Effect": "Allow", "Principal": "spiffe://test.example/admin", "Action": "kms:*", "Resource": "*"}]}
    """

    /// A key whose policy allows only the admin.
    func adminOnlyKey() async throws -> String {
        try await createKey(policy: Self.adminOnlyPolicy).description
    }

    /// Creates a grant on `keyID` for `grantee`, as `caller` (the admin by default).
    func grant(
        _ operations: [String],
        on keyID: String,
        to grantee: RequestContext = ServiceFixture.alice,
        retiring: RequestContext? = nil,
        constraints: GrantConstraints = GrantConstraints(),
        name: String = "",
        by caller: RequestContext = ServiceFixture.admin
    ) async throws -> (grantID: String, grantToken: String) {
        let request = CreateGrantRequest(
            keyID: keyID,
            granteePrincipal: grantee.principal.name,
            operations: operations,
            retiringPrincipal: retiring?.principal.name ?? "",
            constraints: constraints,
            name: name
        )
        return try await service.createGrant(request, context: caller)
    }

    /// The error code of an Encrypt as `caller`; `nil` when it succeeds.
    func encryptCode(on keyID: String, as caller: RequestContext, context: [String: String] = [:]) async -> KMSError.Code? {
        await errorCode {
            try await service.encrypt(EncryptRequest(keyID: keyID, plaintext: SecretBytes("grant"), encryptionContext: context), context: caller)
        }
    }

    /// The error code of a Decrypt as `caller` of a blob the admin made; `nil` when it succeeds.
    func decryptCode(on keyID: String, as caller: RequestContext, context: [String: String] = [:]) async throws -> KMSError.Code? {
        let blob = try await service.encrypt(
            EncryptRequest(keyID: keyID, plaintext: SecretBytes("grant"), encryptionContext: context), context: ServiceFixture.admin
        ).ciphertextBlob
        return await errorCode {
            try await service.decrypt(DecryptRequest(ciphertextBlob: blob, encryptionContext: context), context: caller)
        }
    }

    /// The ids of every grant of a key, as the admin lists them.
    func grantIDs(of keyID: String) async throws -> [String] {
        try await service.listGrants(keyID: keyID, grantID: "", granteePrincipal: "", pageSize: 0, pageToken: "", context: ServiceFixture.admin)
            .grants.map(\.grantID)
    }
}
