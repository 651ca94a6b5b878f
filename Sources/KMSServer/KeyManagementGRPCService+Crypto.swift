import Foundation
import GRPCCore
import KMSCore
import KMSCrypto
import KMSProto
import KMSService

extension KeyManagementGRPCService {
    func encrypt(request: Kms_V1_EncryptRequest, context: ServerContext) async throws -> Kms_V1_EncryptResponse {
        try await handle { caller throws(KMSError) in try await encrypt(request, caller: caller) }
    }

    func decrypt(request: Kms_V1_DecryptRequest, context: ServerContext) async throws -> Kms_V1_DecryptResponse {
        try await handle { caller throws(KMSError) in try await decrypt(request, caller: caller) }
    }

    /// One Encrypt, for the single call and for each item of BatchEncrypt.
    func encrypt(_ request: Kms_V1_EncryptRequest, caller: RequestContext) async throws(KMSError) -> Kms_V1_EncryptResponse {
        let result = try await service.encrypt(
            EncryptRequest(
                keyID: request.keyID,
                plaintext: SecretBytes(copying: request.plaintext),
                encryptionContext: request.encryptionContext,
                encryptionAlgorithm: try request.encryptionAlgorithm.domain(field: "encryption_algorithm", default: .symmetricDefault)
            ),
            context: caller
        )
        return .with {
            $0.ciphertextBlob = Data(result.ciphertextBlob)
            $0.keyID = result.keyID.description
            $0.keyVersion = result.keyVersion
            $0.encryptionAlgorithm = Kms_V1_EncryptionAlgorithm(result.encryptionAlgorithm)
        }
    }

    /// One Decrypt, for the single call and for each item of BatchDecrypt.
    func decrypt(_ request: Kms_V1_DecryptRequest, caller: RequestContext) async throws(KMSError) -> Kms_V1_DecryptResponse {
        let result = try await service.decrypt(
            DecryptRequest(
                ciphertextBlob: Array(request.ciphertextBlob),
                encryptionContext: request.encryptionContext,
                keyID: request.keyID,
                encryptionAlgorithm: try request.encryptionAlgorithm.domain(field: "encryption_algorithm", default: .symmetricDefault)
            ),
            context: caller
        )
        return .with {
            $0.plaintext = result.plaintext.data
            $0.keyID = result.keyID.description
            $0.keyVersion = result.keyVersion
            $0.encryptionAlgorithm = Kms_V1_EncryptionAlgorithm(result.encryptionAlgorithm)
        }
    }

    func reEncrypt(request: Kms_V1_ReEncryptRequest, context: ServerContext) async throws -> Kms_V1_ReEncryptResponse {
        try await handle { caller throws(KMSError) in
            let result = try await service.reEncrypt(
                ReEncryptRequest(
                    ciphertextBlob: Array(request.ciphertextBlob),
                    sourceEncryptionContext: request.sourceEncryptionContext,
                    sourceKeyID: request.sourceKeyID,
                    destinationKeyID: request.destinationKeyID,
                    destinationEncryptionContext: request.destinationEncryptionContext,
                    sourceEncryptionAlgorithm: try request.sourceEncryptionAlgorithm.domain(
                        field: "source_encryption_algorithm", default: .symmetricDefault
                    ),
                    destinationEncryptionAlgorithm: try request.destinationEncryptionAlgorithm.domain(
                        field: "destination_encryption_algorithm", default: .symmetricDefault
                    )
                ),
                context: caller
            )
            return .with {
                $0.ciphertextBlob = Data(result.ciphertextBlob)
                $0.sourceKeyID = result.sourceKeyID.description
                $0.sourceKeyVersion = result.sourceKeyVersion
                $0.keyID = result.keyID.description
                $0.keyVersion = result.keyVersion
                $0.sourceEncryptionAlgorithm = Kms_V1_EncryptionAlgorithm(result.sourceEncryptionAlgorithm)
                $0.destinationEncryptionAlgorithm = Kms_V1_EncryptionAlgorithm(result.destinationEncryptionAlgorithm)
            }
        }
    }

    func generateRandom(request: Kms_V1_GenerateRandomRequest, context: ServerContext) async throws -> Kms_V1_GenerateRandomResponse {
        try await handle { caller throws(KMSError) in
            let bytes = try await service.generateRandom(numberOfBytes: Int(request.numberOfBytes), context: caller)
            return .with { $0.plaintext = bytes.data }
        }
    }
}
