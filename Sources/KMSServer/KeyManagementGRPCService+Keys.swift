import GRPCCore
import KMSCore
import KMSProto
import KMSService

extension KeyManagementGRPCService {
    func createKey(request: Kms_V1_CreateKeyRequest, context: ServerContext) async throws -> Kms_V1_CreateKeyResponse {
        try await handle { caller throws(KMSError) in
            let domainRequest = CreateKeyRequest(
                description: request.description_p,
                keySpec: try request.keySpec.domain(field: "key_spec"),
                keyUsage: try request.keyUsage.domain(field: "key_usage"),
                policy: request.policy,
                tags: request.tags
            )
            let metadata = try await service.createKey(domainRequest, context: caller)
            return .with { $0.keyMetadata = Kms_V1_KeyMetadata(metadata) }
        }
    }

    func describeKey(request: Kms_V1_DescribeKeyRequest, context: ServerContext) async throws -> Kms_V1_DescribeKeyResponse {
        try await handle { caller throws(KMSError) in
            let metadata = try await service.describeKey(keyID: request.keyID, context: caller)
            return .with { $0.keyMetadata = Kms_V1_KeyMetadata(metadata) }
        }
    }

    func listKeys(request: Kms_V1_ListKeysRequest, context: ServerContext) async throws -> Kms_V1_ListKeysResponse {
        try await handle { caller throws(KMSError) in
            let page = try await service.listKeys(pageSize: Int(request.pageSize), pageToken: request.pageToken, context: caller)
            return .with {
                $0.keys = page.keys.map(Kms_V1_KeyMetadata.init)
                $0.nextPageToken = page.nextPageToken
            }
        }
    }

    func getKeyPolicy(request: Kms_V1_GetKeyPolicyRequest, context: ServerContext) async throws -> Kms_V1_GetKeyPolicyResponse {
        try await handle { caller throws(KMSError) in
            let policy = try await service.getKeyPolicy(keyID: request.keyID, context: caller)
            return .with { $0.policy = policy }
        }
    }

    func listKeyPolicies(request: Kms_V1_ListKeyPoliciesRequest, context: ServerContext) async throws -> Kms_V1_ListKeyPoliciesResponse {
        try await handle { caller throws(KMSError) in
            let names = try await service.listKeyPolicies(
                keyID: request.keyID, pageSize: Int(request.pageSize), pageToken: request.pageToken, context: caller
            )
            return .with { $0.policyNames = names }
        }
    }

    func putKeyPolicy(request: Kms_V1_PutKeyPolicyRequest, context: ServerContext) async throws -> Kms_V1_PutKeyPolicyResponse {
        try await handle { caller throws(KMSError) in
            try await service.putKeyPolicy(
                keyID: request.keyID,
                policy: request.policy,
                bypassPolicyLockoutSafetyCheck: request.bypassPolicyLockoutSafetyCheck,
                context: caller
            )
            return Kms_V1_PutKeyPolicyResponse()
        }
    }

    func getCallerIdentity(request: Kms_V1_GetCallerIdentityRequest, context: ServerContext) async throws -> Kms_V1_GetCallerIdentityResponse {
        guard let identity = CurrentCall.identity else {
            throw RPCError(code: .unauthenticated, message: "a client certificate is required")
        }
        return .with {
            $0.principal = identity.principal.name
            $0.certificateSubject = identity.certificateSubject
            $0.certificateSans = identity.certificateSANs
        }
    }
}
