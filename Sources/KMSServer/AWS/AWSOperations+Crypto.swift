import Foundation
import KMSCore
import KMSProto

/// Encrypt, Decrypt, ReEncrypt, data keys and data key pairs, and random bytes. Responses
/// name keys by ARN, as AWS's do.
extension AWSOperation {
    static let cryptoOperations: [AWSOperation] = [
        .rpc("Encrypt", Methods.Encrypt.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_EncryptRequest()
            request.keyID = try reader.requiredKeyReference("KeyId")
            request.plaintext = try reader.requiredBlob("Plaintext", maxBytes: Limits.maxPlaintextBytes)
            request.encryptionContext = try reader.stringMap("EncryptionContext")
            request.encryptionAlgorithm = try reader.enumeration("EncryptionAlgorithm", .encryptionAlgorithms) ?? .unspecified
            try reader.grantTokens()
            return request
        } response: { (response: Kms_V1_EncryptResponse, _, names) in
            var fields: [String: AWSJSON] = ["CiphertextBlob": .blob(response.ciphertextBlob), "KeyId": .string(names.keyARN(response.keyID))]
            fields["EncryptionAlgorithm"] = AWSNames.encryptionAlgorithms.name(of: response.encryptionAlgorithm).map(AWSJSON.string)
            return fields
        },
        .rpc("Decrypt", Methods.Decrypt.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_DecryptRequest()
            request.ciphertextBlob = try reader.requiredBlob("CiphertextBlob", maxBytes: Limits.maxCiphertextBytes)
            request.encryptionContext = try reader.stringMap("EncryptionContext")
            request.keyID = try reader.keyReference("KeyId") ?? ""
            request.encryptionAlgorithm = try reader.enumeration("EncryptionAlgorithm", .encryptionAlgorithms) ?? .unspecified
            try reader.grantTokens()
            return request
        } response: { (response: Kms_V1_DecryptResponse, _, names) in
            var fields: [String: AWSJSON] = ["Plaintext": .blob(response.plaintext), "KeyId": .string(names.keyARN(response.keyID))]
            fields["EncryptionAlgorithm"] = AWSNames.encryptionAlgorithms.name(of: response.encryptionAlgorithm).map(AWSJSON.string)
            return fields
        },
        .rpc("ReEncrypt", Methods.ReEncrypt.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_ReEncryptRequest()
            request.ciphertextBlob = try reader.requiredBlob("CiphertextBlob", maxBytes: Limits.maxCiphertextBytes)
            request.sourceEncryptionContext = try reader.stringMap("SourceEncryptionContext")
            request.sourceKeyID = try reader.keyReference("SourceKeyId") ?? ""
            request.destinationKeyID = try reader.requiredKeyReference("DestinationKeyId")
            request.destinationEncryptionContext = try reader.stringMap("DestinationEncryptionContext")
            request.sourceEncryptionAlgorithm = try reader.enumeration("SourceEncryptionAlgorithm", .encryptionAlgorithms) ?? .unspecified
            request.destinationEncryptionAlgorithm = try reader.enumeration("DestinationEncryptionAlgorithm", .encryptionAlgorithms) ?? .unspecified
            try reader.grantTokens()
            return request
        } response: { (response: Kms_V1_ReEncryptResponse, _, names) in
            var fields: [String: AWSJSON] = [
                "CiphertextBlob": .blob(response.ciphertextBlob),
                "SourceKeyId": .string(names.keyARN(response.sourceKeyID)),
                "KeyId": .string(names.keyARN(response.keyID)),
            ]
            fields["SourceEncryptionAlgorithm"] = AWSNames.encryptionAlgorithms.name(of: response.sourceEncryptionAlgorithm).map(AWSJSON.string)
            fields["DestinationEncryptionAlgorithm"] = AWSNames.encryptionAlgorithms.name(of: response.destinationEncryptionAlgorithm).map(AWSJSON.string)
            return fields
        },
        .rpc("GenerateDataKey", Methods.GenerateDataKey.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            try dataKeyRequest(&reader)
        } response: { (response: Kms_V1_GenerateDataKeyResponse, _, names) in
            [
                "Plaintext": .blob(response.plaintext),
                "CiphertextBlob": .blob(response.ciphertextBlob),
                "KeyId": .string(names.keyARN(response.keyID)),
            ]
        },
        .rpc("GenerateDataKeyWithoutPlaintext", Methods.GenerateDataKeyWithoutPlaintext.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            let fields = try dataKeyRequest(&reader)
            return Kms_V1_GenerateDataKeyWithoutPlaintextRequest.with {
                $0.keyID = fields.keyID
                $0.keySpec = fields.keySpec
                $0.numberOfBytes = fields.numberOfBytes
                $0.encryptionContext = fields.encryptionContext
            }
        } response: { (response: Kms_V1_GenerateDataKeyWithoutPlaintextResponse, _, names) in
            ["CiphertextBlob": .blob(response.ciphertextBlob), "KeyId": .string(names.keyARN(response.keyID))]
        },
        .rpc("GenerateDataKeyPair", Methods.GenerateDataKeyPair.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            try dataKeyPairRequest(&reader)
        } response: { (response: Kms_V1_GenerateDataKeyPairResponse, _, names) in
            var fields = dataKeyPairFields(
                ciphertext: response.privateKeyCiphertextBlob, publicKey: response.publicKey, keyID: response.keyID, spec: response.keyPairSpec, names
            )
            fields["PrivateKeyPlaintext"] = .blob(response.privateKeyPlaintext)
            return fields
        },
        .rpc("GenerateDataKeyPairWithoutPlaintext", Methods.GenerateDataKeyPairWithoutPlaintext.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            let fields = try dataKeyPairRequest(&reader)
            return Kms_V1_GenerateDataKeyPairWithoutPlaintextRequest.with {
                $0.keyID = fields.keyID
                $0.keyPairSpec = fields.keyPairSpec
                $0.encryptionContext = fields.encryptionContext
            }
        } response: { (response: Kms_V1_GenerateDataKeyPairWithoutPlaintextResponse, _, names) in
            dataKeyPairFields(
                ciphertext: response.privateKeyCiphertextBlob, publicKey: response.publicKey, keyID: response.keyID, spec: response.keyPairSpec, names
            )
        },
        .rpc("GenerateRandom", Methods.GenerateRandom.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_GenerateRandomRequest()
            request.numberOfBytes = try reader.integer("NumberOfBytes") ?? 0
            return request
        } response: { (response: Kms_V1_GenerateRandomResponse, _, _) in
            ["Plaintext": .blob(response.plaintext)]
        },
    ]

    /// Reads the fields GenerateDataKey and GenerateDataKeyWithoutPlaintext share.
    private static func dataKeyRequest(_ reader: inout AWSRequestReader) throws(KMSError) -> Kms_V1_GenerateDataKeyRequest {
        var request = Kms_V1_GenerateDataKeyRequest()
        request.keyID = try reader.requiredKeyReference("KeyId")
        request.keySpec = try reader.enumeration("KeySpec", .dataKeySpecs) ?? .unspecified
        request.numberOfBytes = try reader.integer("NumberOfBytes") ?? 0
        request.encryptionContext = try reader.stringMap("EncryptionContext")
        try reader.grantTokens()
        return request
    }

    /// Reads the fields GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext share.
    private static func dataKeyPairRequest(_ reader: inout AWSRequestReader) throws(KMSError) -> Kms_V1_GenerateDataKeyPairRequest {
        var request = Kms_V1_GenerateDataKeyPairRequest()
        request.keyID = try reader.requiredKeyReference("KeyId")
        request.keyPairSpec = try reader.enumeration("KeyPairSpec", .dataKeyPairSpecs) ?? .unspecified
        request.encryptionContext = try reader.stringMap("EncryptionContext")
        try reader.grantTokens()
        return request
    }

    /// The response fields both data key pair operations answer.
    private static func dataKeyPairFields(
        ciphertext: Data, publicKey: Data, keyID: String, spec: Kms_V1_DataKeyPairSpec, _ names: AWSResourceNames
    ) -> [String: AWSJSON] {
        var fields: [String: AWSJSON] = [
            "PrivateKeyCiphertextBlob": .blob(ciphertext), "PublicKey": .blob(publicKey), "KeyId": .string(names.keyARN(keyID)),
        ]
        fields["KeyPairSpec"] = AWSNames.dataKeyPairSpecs.name(of: spec).map(AWSJSON.string)
        return fields
    }
}
