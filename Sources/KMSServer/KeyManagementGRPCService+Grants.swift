import GRPCCore
import KMSCore
import KMSProto
import KMSService

extension KeyManagementGRPCService {
    func createGrant(request: Kms_V1_CreateGrantRequest, context: ServerContext) async throws -> Kms_V1_CreateGrantResponse {
        try await handle { caller throws(KMSError) in
            let created = try await service.createGrant(
                CreateGrantRequest(
                    keyID: request.keyID,
                    granteePrincipal: request.granteePrincipal,
                    operations: request.operations,
                    retiringPrincipal: request.retiringPrincipal,
                    constraints: GrantConstraints(request.constraints),
                    name: request.name
                ),
                context: caller
            )
            return .with {
                $0.grantID = created.grantID
                $0.grantToken = created.grantToken
            }
        }
    }

    func listGrants(request: Kms_V1_ListGrantsRequest, context: ServerContext) async throws -> Kms_V1_ListGrantsResponse {
        try await handle { caller throws(KMSError) in
            let page = try await service.listGrants(
                keyID: request.keyID,
                grantID: request.grantID,
                granteePrincipal: request.granteePrincipal,
                pageSize: Int(request.pageSize),
                pageToken: request.pageToken,
                context: caller
            )
            return .with {
                $0.grants = page.grants.map(Kms_V1_GrantListEntry.init)
                $0.nextPageToken = page.nextPageToken
            }
        }
    }

    func listRetirableGrants(
        request: Kms_V1_ListRetirableGrantsRequest,
        context: ServerContext
    ) async throws -> Kms_V1_ListRetirableGrantsResponse {
        try await handle { caller throws(KMSError) in
            let page = try await service.listRetirableGrants(
                retiringPrincipal: request.retiringPrincipal,
                pageSize: Int(request.pageSize),
                pageToken: request.pageToken,
                context: caller
            )
            return .with {
                $0.grants = page.grants.map(Kms_V1_GrantListEntry.init)
                $0.nextPageToken = page.nextPageToken
            }
        }
    }

    func retireGrant(request: Kms_V1_RetireGrantRequest, context: ServerContext) async throws -> Kms_V1_RetireGrantResponse {
        try await handle { caller throws(KMSError) in
            try await service.retireGrant(
                keyID: request.keyID,
                grantID: request.grantID,
                grantToken: request.grantToken,
                context: caller
            )
            return Kms_V1_RetireGrantResponse()
        }
    }

    func revokeGrant(request: Kms_V1_RevokeGrantRequest, context: ServerContext) async throws -> Kms_V1_RevokeGrantResponse {
        try await handle { caller throws(KMSError) in
            try await service.revokeGrant(keyID: request.keyID, grantID: request.grantID, context: caller)
            return Kms_V1_RevokeGrantResponse()
        }
    }
}
