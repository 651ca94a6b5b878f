import GRPCCore
import KMSCore
import KMSProto
import KMSService

extension KeyManagementGRPCService {
    func explainAccess(request: Kms_V1_ExplainAccessRequest, context: ServerContext) async throws -> Kms_V1_ExplainAccessResponse {
        try await handle { caller throws(KMSError) in
            let explanation = try await service.explainAccess(
                ExplainAccessRequest(
                    principal: request.principal,
                    action: request.action,
                    keyID: request.keyID,
                    encryptionContext: request.encryptionContext,
                    sourceIP: request.sourceIp
                ),
                context: caller
            )
            return Kms_V1_ExplainAccessResponse(explanation)
        }
    }
}
