import Foundation
import GRPCCore
import KMSCore
import KMSCrypto
import KMSProto
import KMSService

extension KeyManagementGRPCService {
    func sign(request: Kms_V1_SignRequest, context: ServerContext) async throws -> Kms_V1_SignResponse {
        try await handle { caller throws(KMSError) in
            let result = try await service.sign(
                SignRequest(
                    keyID: request.keyID,
                    message: try SigningInput(request.message, type: request.messageType),
                    signingAlgorithm: try request.signingAlgorithm.required(field: "signing_algorithm")
                ),
                context: caller
            )
            return .with {
                $0.signature = Data(result.signature)
                $0.keyID = result.keyID.description
                $0.keyVersion = result.keyVersion
                $0.signingAlgorithm = Kms_V1_SigningAlgorithm(result.signingAlgorithm)
            }
        }
    }

    func verify(request: Kms_V1_VerifyRequest, context: ServerContext) async throws -> Kms_V1_VerifyResponse {
        try await handle { caller throws(KMSError) in
            let verifyRequest = VerifyRequest(
                keyID: request.keyID,
                message: try SigningInput(request.message, type: request.messageType),
                signature: Array(request.signature),
                signingAlgorithm: try request.signingAlgorithm.required(field: "signing_algorithm")
            )
            let result = try await service.verify(verifyRequest, context: caller)
            return .with {
                $0.signatureValid = result.isValid
                $0.keyID = result.keyID.description
                $0.signingAlgorithm = request.signingAlgorithm
            }
        }
    }

    func getPublicKey(request: Kms_V1_GetPublicKeyRequest, context: ServerContext) async throws -> Kms_V1_GetPublicKeyResponse {
        try await handle { caller throws(KMSError) in
            let result = try await service.getPublicKey(keyID: request.keyID, context: caller)
            return .with {
                $0.publicKey = Data(result.subjectPublicKeyInfo)
                $0.keyID = result.metadata.keyID.description
                $0.keySpec = Kms_V1_KeySpec(result.metadata.keySpec)
                $0.keyUsage = Kms_V1_KeyUsage(result.metadata.keyUsage)
                $0.signingAlgorithms = result.metadata.signingAlgorithms.map(Kms_V1_SigningAlgorithm.init)
                $0.encryptionAlgorithms = result.metadata.encryptionAlgorithms.map(Kms_V1_EncryptionAlgorithm.init)
                $0.keyVersion = result.keyVersion
            }
        }
    }
}

extension SigningInput {
    /// The message of a Sign or Verify request; UNSPECIFIED message_type means RAW.
    init(_ message: Data, type: Kms_V1_MessageType) throws(KMSError) {
        self.init(Array(message), type: try type.domain(field: "message_type", default: .raw))
    }
}
