import Foundation
import GRPCCore
import KMSCore
import KMSProto
import KMSService

extension KeyManagementGRPCService {
    func generateMac(request: Kms_V1_GenerateMacRequest, context: ServerContext) async throws -> Kms_V1_GenerateMacResponse {
        try await handle { caller throws(KMSError) in
            let algorithm = try request.macAlgorithm.required(field: "mac_algorithm")
            let result = try await service.generateMac(keyID: request.keyID, message: Array(request.message), algorithm: algorithm, context: caller)
            return .with {
                $0.mac = Data(result.mac)
                $0.keyID = result.keyID.description
                $0.keyVersion = result.keyVersion
                $0.macAlgorithm = request.macAlgorithm
            }
        }
    }

    func verifyMac(request: Kms_V1_VerifyMacRequest, context: ServerContext) async throws -> Kms_V1_VerifyMacResponse {
        try await handle { caller throws(KMSError) in
            let algorithm = try request.macAlgorithm.required(field: "mac_algorithm")
            let result = try await service.verifyMac(
                keyID: request.keyID, message: Array(request.message), mac: Array(request.mac), algorithm: algorithm, context: caller
            )
            return .with {
                $0.macValid = result.isValid
                $0.keyID = result.keyID.description
                $0.macAlgorithm = request.macAlgorithm
            }
        }
    }
}
