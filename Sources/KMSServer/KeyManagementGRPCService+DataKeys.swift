import Foundation
import GRPCCore
import KMSCore
import KMSProto
import KMSService

extension KeyManagementGRPCService {
    func generateDataKey(request: Kms_V1_GenerateDataKeyRequest, context: ServerContext) async throws -> Kms_V1_GenerateDataKeyResponse {
        try await handle { caller throws(KMSError) in
            let domainRequest = try GenerateDataKeyRequest(
                keyID: request.keyID,
                keySpec: request.keySpec,
                numberOfBytes: request.numberOfBytes,
                encryptionContext: request.encryptionContext
            )
            let result = try await service.generateDataKey(domainRequest, context: caller)
            return .with {
                $0.plaintext = result.plaintext?.data ?? Data()
                $0.ciphertextBlob = Data(result.ciphertextBlob)
                $0.keyID = result.keyID.description
                $0.keyVersion = result.keyVersion
            }
        }
    }

    func generateDataKeyWithoutPlaintext(
        request: Kms_V1_GenerateDataKeyWithoutPlaintextRequest,
        context: ServerContext
    ) async throws -> Kms_V1_GenerateDataKeyWithoutPlaintextResponse {
        try await handle { caller throws(KMSError) in
            let domainRequest = try GenerateDataKeyRequest(
                keyID: request.keyID,
                keySpec: request.keySpec,
                numberOfBytes: request.numberOfBytes,
                encryptionContext: request.encryptionContext
            )
            let result = try await service.generateDataKeyWithoutPlaintext(domainRequest, context: caller)
            return .with {
                $0.ciphertextBlob = Data(result.ciphertextBlob)
                $0.keyID = result.keyID.description
                $0.keyVersion = result.keyVersion
            }
        }
    }
}

extension GenerateDataKeyRequest {
    /// Reads the fields shared by both GenerateDataKey request messages; a zero
    /// `number_of_bytes` means "not given", as in proto3.
    init(keyID: String, keySpec: Kms_V1_DataKeySpec, numberOfBytes: Int32, encryptionContext: [String: String]) throws(KMSError) {
        self.init(
            keyID: keyID,
            keySpec: try keySpec.domain(),
            numberOfBytes: numberOfBytes == 0 ? nil : Int(numberOfBytes),
            encryptionContext: encryptionContext
        )
    }
}
