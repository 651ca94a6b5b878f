import Foundation
import GRPCCore
import KMSCore
import KMSProto
import KMSService

extension KeyManagementGRPCService {
    func generateDataKey(request: Kms_V1_GenerateDataKeyRequest, context: ServerContext) async throws -> Kms_V1_GenerateDataKeyResponse {
        try await handle { caller throws(KMSError) in try await generateDataKey(request, caller: caller) }
    }

    /// One GenerateDataKey, for the single call and for each item of BatchGenerateDataKey.
    func generateDataKey(_ request: Kms_V1_GenerateDataKeyRequest, caller: RequestContext) async throws(KMSError) -> Kms_V1_GenerateDataKeyResponse {
        let result = try await service.generateDataKey(try GenerateDataKeyRequest(request), context: caller)
        return .with {
            $0.plaintext = result.plaintext?.data ?? Data()
            $0.ciphertextBlob = Data(result.ciphertextBlob)
            $0.keyID = result.keyID.description
            $0.keyVersion = result.keyVersion
        }
    }

    func generateDataKeyWithoutPlaintext(
        request: Kms_V1_GenerateDataKeyWithoutPlaintextRequest,
        context: ServerContext
    ) async throws -> Kms_V1_GenerateDataKeyWithoutPlaintextResponse {
        try await handle { caller throws(KMSError) in
            let domainRequest = try GenerateDataKeyRequest(request)
            let result = try await service.generateDataKeyWithoutPlaintext(domainRequest, context: caller)
            return .with {
                $0.ciphertextBlob = Data(result.ciphertextBlob)
                $0.keyID = result.keyID.description
                $0.keyVersion = result.keyVersion
            }
        }
    }
}

/// The fields shared by both GenerateDataKey request messages.
protocol DataKeyRequestMessage {
    var keyID: String { get }
    var keySpec: Kms_V1_DataKeySpec { get }
    var numberOfBytes: Int32 { get }
    var encryptionContext: [String: String] { get }
}

extension Kms_V1_GenerateDataKeyRequest: DataKeyRequestMessage {}
extension Kms_V1_GenerateDataKeyWithoutPlaintextRequest: DataKeyRequestMessage {}

extension GenerateDataKeyRequest {
    /// Reads either GenerateDataKey request message; a zero `number_of_bytes` means
    /// "not given", as in proto3.
    init(_ message: some DataKeyRequestMessage) throws(KMSError) {
        self.init(
            keyID: message.keyID,
            keySpec: try message.keySpec.domain(field: "key_spec"),
            numberOfBytes: message.numberOfBytes == 0 ? nil : Int(message.numberOfBytes),
            encryptionContext: message.encryptionContext
        )
    }
}
