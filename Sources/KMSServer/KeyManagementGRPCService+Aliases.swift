import GRPCCore
import KMSCore
import KMSProto
import KMSService

extension KeyManagementGRPCService {
    func createAlias(request: Kms_V1_CreateAliasRequest, context: ServerContext) async throws -> Kms_V1_CreateAliasResponse {
        try await handle { caller throws(KMSError) in
            try await service.createAlias(name: request.aliasName, targetKeyID: request.targetKeyID, context: caller)
            return Kms_V1_CreateAliasResponse()
        }
    }

    func updateAlias(request: Kms_V1_UpdateAliasRequest, context: ServerContext) async throws -> Kms_V1_UpdateAliasResponse {
        try await handle { caller throws(KMSError) in
            try await service.updateAlias(name: request.aliasName, targetKeyID: request.targetKeyID, context: caller)
            return Kms_V1_UpdateAliasResponse()
        }
    }

    func deleteAlias(request: Kms_V1_DeleteAliasRequest, context: ServerContext) async throws -> Kms_V1_DeleteAliasResponse {
        try await handle { caller throws(KMSError) in
            try await service.deleteAlias(name: request.aliasName, context: caller)
            return Kms_V1_DeleteAliasResponse()
        }
    }

    func listAliases(request: Kms_V1_ListAliasesRequest, context: ServerContext) async throws -> Kms_V1_ListAliasesResponse {
        try await handle { caller throws(KMSError) in
            let page = try await service.listAliases(
                keyID: request.keyID,
                pageSize: Int(request.pageSize),
                pageToken: request.pageToken,
                context: caller
            )
            return .with {
                $0.aliases = page.aliases.map(Kms_V1_AliasListEntry.init)
                $0.nextPageToken = page.nextPageToken
            }
        }
    }
}

extension Kms_V1_AliasListEntry {
    init(_ entry: AliasEntry) {
        self.init()
        aliasName = entry.name
        targetKeyID = entry.targetKeyID.description
    }
}
