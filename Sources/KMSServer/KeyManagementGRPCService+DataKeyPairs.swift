import Foundation
import GRPCCore
import KMSCore
import KMSProto
import KMSService

extension KeyManagementGRPCService {
    func generateDataKeyPair(
        request: Kms_V1_GenerateDataKeyPairRequest,
        context: ServerContext
    ) async throws -> Kms_V1_GenerateDataKeyPairResponse {
        try await handle { caller throws(KMSError) in
            let result = try await service.generateDataKeyPair(try request.domain(), context: caller)
            return .with {
                $0.privateKeyPlaintext = result.privateKeyPlaintext?.data ?? Data()
                $0.privateKeyCiphertextBlob = Data(result.privateKeyCiphertextBlob)
                $0.publicKey = Data(result.publicKey)
                $0.keyID = result.keyID.description
                $0.keyVersion = result.keyVersion
                $0.keyPairSpec = request.keyPairSpec
            }
        }
    }

    func generateDataKeyPairWithoutPlaintext(
        request: Kms_V1_GenerateDataKeyPairWithoutPlaintextRequest,
        context: ServerContext
    ) async throws -> Kms_V1_GenerateDataKeyPairWithoutPlaintextResponse {
        try await handle { caller throws(KMSError) in
            let result = try await service.generateDataKeyPairWithoutPlaintext(try request.domain(), context: caller)
            return .with {
                $0.privateKeyCiphertextBlob = Data(result.privateKeyCiphertextBlob)
                $0.publicKey = Data(result.publicKey)
                $0.keyID = result.keyID.description
                $0.keyVersion = result.keyVersion
                $0.keyPairSpec = request.keyPairSpec
            }
        }
    }
}

/// The request fields GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext share.
protocol DataKeyPairRequestMessage {
    var keyID: String { get }
    var keyPairSpec: Kms_V1_DataKeyPairSpec { get }
    var encryptionContext: [String: String] { get }
}

extension DataKeyPairRequestMessage {
    /// The service request; key_pair_spec is required.
    func domain() throws(KMSError) -> GenerateDataKeyPairRequest {
        GenerateDataKeyPairRequest(
            keyID: keyID,
            keyPairSpec: try keyPairSpec.required(field: "key_pair_spec"),
            encryptionContext: encryptionContext
        )
    }
}

extension Kms_V1_GenerateDataKeyPairRequest: DataKeyPairRequestMessage {}
extension Kms_V1_GenerateDataKeyPairWithoutPlaintextRequest: DataKeyPairRequestMessage {}
