import KMSCore
import KMSProto

/// Signatures, public keys and MACs. A signature or MAC that does not verify is an error in
/// AWS's API (`KMSInvalidSignatureException`, `KMSInvalidMacException`), where the RPC
/// answers `false`.
extension AWSOperation {
    static let signingOperations: [AWSOperation] = [
        .rpc("Sign", Methods.Sign.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_SignRequest()
            request.keyID = try reader.requiredKeyReference("KeyId")
            request.message = try reader.requiredBlob("Message", maxBytes: Limits.maxMessageBytes)
            request.messageType = try reader.enumeration("MessageType", .messageTypes) ?? .unspecified
            request.signingAlgorithm = try reader.enumeration("SigningAlgorithm", .signingAlgorithms) ?? .unspecified
            try reader.grantTokens()
            return request
        } response: { (response: Kms_V1_SignResponse, _, names) in
            var fields: [String: AWSJSON] = ["Signature": .blob(response.signature), "KeyId": .string(names.keyARN(response.keyID))]
            fields["SigningAlgorithm"] = AWSNames.signingAlgorithms.name(of: response.signingAlgorithm).map(AWSJSON.string)
            return fields
        },
        .rpc("Verify", Methods.Verify.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_VerifyRequest()
            request.keyID = try reader.requiredKeyReference("KeyId")
            request.message = try reader.requiredBlob("Message", maxBytes: Limits.maxMessageBytes)
            request.messageType = try reader.enumeration("MessageType", .messageTypes) ?? .unspecified
            request.signature = try reader.requiredBlob("Signature", maxBytes: Limits.maxSignatureBytes)
            request.signingAlgorithm = try reader.enumeration("SigningAlgorithm", .signingAlgorithms) ?? .unspecified
            try reader.grantTokens()
            return request
        } response: { (response: Kms_V1_VerifyResponse, _, names) throws(AWSAnswerRefusal) in
            guard response.signatureValid else {
                throw AWSAnswerRefusal(reason: AWSErrorMapping.invalidSignature, message: "the signature does not verify with this key and algorithm")
            }
            var fields: [String: AWSJSON] = ["SignatureValid": .bool(true), "KeyId": .string(names.keyARN(response.keyID))]
            fields["SigningAlgorithm"] = AWSNames.signingAlgorithms.name(of: response.signingAlgorithm).map(AWSJSON.string)
            return fields
        },
        .rpc("GetPublicKey", Methods.GetPublicKey.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_GetPublicKeyRequest()
            request.keyID = try reader.requiredKeyReference("KeyId")
            try reader.grantTokens()
            return request
        } response: { (response: Kms_V1_GetPublicKeyResponse, _, names) in
            var fields: [String: AWSJSON] = ["PublicKey": .blob(response.publicKey), "KeyId": .string(names.keyARN(response.keyID))]
            if let spec = AWSNames.keySpecs.name(of: response.keySpec) {
                fields["KeySpec"] = .string(spec)
                fields["CustomerMasterKeySpec"] = .string(spec)
            }
            fields["KeyUsage"] = AWSNames.keyUsages.name(of: response.keyUsage).map(AWSJSON.string)
            fields["SigningAlgorithms"] = AWSResourceNames.names(response.signingAlgorithms, .signingAlgorithms)
            fields["EncryptionAlgorithms"] = AWSResourceNames.names(response.encryptionAlgorithms, .encryptionAlgorithms)
            return fields
        },
        .rpc("GenerateMac", Methods.GenerateMac.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_GenerateMacRequest()
            request.keyID = try reader.requiredKeyReference("KeyId")
            request.message = try reader.requiredBlob("Message", maxBytes: Limits.maxMessageBytes)
            request.macAlgorithm = try reader.enumeration("MacAlgorithm", .macAlgorithms) ?? .unspecified
            try reader.grantTokens()
            return request
        } response: { (response: Kms_V1_GenerateMacResponse, _, names) in
            var fields: [String: AWSJSON] = ["Mac": .blob(response.mac), "KeyId": .string(names.keyARN(response.keyID))]
            fields["MacAlgorithm"] = AWSNames.macAlgorithms.name(of: response.macAlgorithm).map(AWSJSON.string)
            return fields
        },
        .rpc("VerifyMac", Methods.VerifyMac.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_VerifyMacRequest()
            request.keyID = try reader.requiredKeyReference("KeyId")
            request.message = try reader.requiredBlob("Message", maxBytes: Limits.maxMessageBytes)
            request.mac = try reader.requiredBlob("Mac", maxBytes: Limits.maxSignatureBytes)
            request.macAlgorithm = try reader.enumeration("MacAlgorithm", .macAlgorithms) ?? .unspecified
            try reader.grantTokens()
            return request
        } response: { (response: Kms_V1_VerifyMacResponse, _, names) throws(AWSAnswerRefusal) in
            guard response.macValid else {
                throw AWSAnswerRefusal(reason: AWSErrorMapping.invalidMac, message: "the MAC does not verify with this key and algorithm")
            }
            var fields: [String: AWSJSON] = ["MacValid": .bool(true), "KeyId": .string(names.keyARN(response.keyID))]
            fields["MacAlgorithm"] = AWSNames.macAlgorithms.name(of: response.macAlgorithm).map(AWSJSON.string)
            return fields
        } exceptionName: { reason, request in
            // The service refuses a MAC of another length than the algorithm's tag; AWS
            // takes any length and answers that such a MAC does not verify.
            guard reason == KMSError.Code.validation.reason, let length = macLengths[request.macAlgorithm],
                  request.mac.count != length else { return nil }
            return "KMSInvalidMacException"
        },
    ]

    /// The tag length of each MAC algorithm, in bytes.
    private static let macLengths: [Kms_V1_MacAlgorithm: Int] = [.hmacSha256: 32, .hmacSha384: 48, .hmacSha512: 64]
}
