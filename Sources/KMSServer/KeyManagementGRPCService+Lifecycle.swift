import GRPCCore
import KMSCore
import KMSProto
import KMSService

extension KeyManagementGRPCService {
    func enableKey(request: Kms_V1_EnableKeyRequest, context: ServerContext) async throws -> Kms_V1_EnableKeyResponse {
        try await handle { caller throws(KMSError) in
            try await service.enableKey(keyID: request.keyID, context: caller)
            return Kms_V1_EnableKeyResponse()
        }
    }

    func disableKey(request: Kms_V1_DisableKeyRequest, context: ServerContext) async throws -> Kms_V1_DisableKeyResponse {
        try await handle { caller throws(KMSError) in
            try await service.disableKey(keyID: request.keyID, context: caller)
            return Kms_V1_DisableKeyResponse()
        }
    }

    func updateKeyDescription(
        request: Kms_V1_UpdateKeyDescriptionRequest,
        context: ServerContext
    ) async throws -> Kms_V1_UpdateKeyDescriptionResponse {
        try await handle { caller throws(KMSError) in
            try await service.updateKeyDescription(keyID: request.keyID, description: request.description_p, context: caller)
            return Kms_V1_UpdateKeyDescriptionResponse()
        }
    }

    func tagResource(request: Kms_V1_TagResourceRequest, context: ServerContext) async throws -> Kms_V1_TagResourceResponse {
        try await handle { caller throws(KMSError) in
            try await service.tagResource(keyID: request.keyID, tags: request.tags, context: caller)
            return Kms_V1_TagResourceResponse()
        }
    }

    func untagResource(request: Kms_V1_UntagResourceRequest, context: ServerContext) async throws -> Kms_V1_UntagResourceResponse {
        try await handle { caller throws(KMSError) in
            try await service.untagResource(keyID: request.keyID, tagKeys: request.tagKeys, context: caller)
            return Kms_V1_UntagResourceResponse()
        }
    }

    func listResourceTags(
        request: Kms_V1_ListResourceTagsRequest,
        context: ServerContext
    ) async throws -> Kms_V1_ListResourceTagsResponse {
        try await handle { caller throws(KMSError) in
            let page = try await service.listResourceTags(
                keyID: request.keyID, pageSize: Int(request.pageSize), pageToken: request.pageToken, context: caller
            )
            return .with {
                $0.tags = page.tags
                $0.nextPageToken = page.nextPageToken
            }
        }
    }
}
