import KMSCore
import KMSProto

/// Creating, describing, listing, enabling and disabling keys, and scheduling their deletion.
extension AWSOperation {
    typealias Methods = Kms_V1_KeyManagementService.Method

    static let keyOperations: [AWSOperation] = [
        .rpc("CreateKey", Methods.CreateKey.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_CreateKeyRequest()
            request.policy = try reader.string("Policy") ?? ""
            request.description_p = try reader.string("Description", maxCharacters: Limits.maxDescriptionCharacters) ?? ""
            request.keyUsage = try reader.enumeration("KeyUsage", .keyUsages) ?? .unspecified
            let spec = try reader.enumeration("KeySpec", .keySpecs)
            let legacySpec = try reader.enumeration("CustomerMasterKeySpec", .keySpecs)
            if let spec, let legacySpec, spec != legacySpec {
                throw KMSError(.validation, "KeySpec and CustomerMasterKeySpec differ; give KeySpec only")
            }
            request.keySpec = spec ?? legacySpec ?? .unspecified
            request.tags = try AWSTags.read(&reader)
            try reader.onlyDefault("Origin", .string("AWS_KMS"))
            try reader.onlyDefault("MultiRegion", .bool(false))
            try reader.onlyDefault("BypassPolicyLockoutSafetyCheck", .bool(false))
            return request
        } response: { (response: Kms_V1_CreateKeyResponse, _, names) in
            ["KeyMetadata": names.keyMetadata(response.keyMetadata)]
        } exceptionName: { reason, request in
            AWSTags.exceptionName(reason: reason, tagKeys: request.tags.keys)
        },
        .rpc("DescribeKey", Methods.DescribeKey.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_DescribeKeyRequest()
            request.keyID = try reader.requiredKeyReference("KeyId")
            try reader.grantTokens()
            return request
        } response: { (response: Kms_V1_DescribeKeyResponse, _, names) in
            ["KeyMetadata": names.keyMetadata(response.keyMetadata)]
        },
        .rpc("ListKeys", Methods.ListKeys.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_ListKeysRequest()
            (request.pageSize, request.pageToken) = try AWSPaging.read(&reader)
            return request
        } response: { (response: Kms_V1_ListKeysResponse, _, names) in
            AWSPaging.fields(nextPageToken: response.nextPageToken).merging([
                "Keys": .array(response.keys.map { .object(["KeyId": .string($0.keyID), "KeyArn": .string(names.keyARN($0.keyID))]) }),
            ]) { $1 }
        },
        .rpc("EnableKey", Methods.EnableKey.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_EnableKeyRequest()
            request.keyID = try reader.requiredKeyReference("KeyId")
            return request
        } response: { (_: Kms_V1_EnableKeyResponse, _, _) in [:] },
        .rpc("DisableKey", Methods.DisableKey.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_DisableKeyRequest()
            request.keyID = try reader.requiredKeyReference("KeyId")
            return request
        } response: { (_: Kms_V1_DisableKeyResponse, _, _) in [:] },
        .rpc("UpdateKeyDescription", Methods.UpdateKeyDescription.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_UpdateKeyDescriptionRequest()
            request.keyID = try reader.requiredKeyReference("KeyId")
            guard let description = try reader.string("Description", maxCharacters: Limits.maxDescriptionCharacters) else {
                throw KMSError(.validation, "Description is required")
            }
            request.description_p = description
            return request
        } response: { (_: Kms_V1_UpdateKeyDescriptionResponse, _, _) in [:] },
        .rpc("ScheduleKeyDeletion", Methods.ScheduleKeyDeletion.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_ScheduleKeyDeletionRequest()
            request.keyID = try reader.requiredKeyReference("KeyId")
            request.pendingWindowInDays = try reader.integer("PendingWindowInDays") ?? 0
            return request
        } response: { (response: Kms_V1_ScheduleKeyDeletionResponse, request, names) in
            var fields: [String: AWSJSON] = [
                "KeyId": .string(names.keyARN(response.keyID)),
                "DeletionDate": .date(response.deletionTime.date),
                "PendingWindowInDays": .integer(Int64(request.pendingWindowInDays == 0 ? Int32(Limits.defaultPendingWindowDays) : request.pendingWindowInDays)),
            ]
            fields["KeyState"] = AWSNames.keyStates.name(of: response.keyState).map(AWSJSON.string)
            return fields
        },
        .rpc("CancelKeyDeletion", Methods.CancelKeyDeletion.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_CancelKeyDeletionRequest()
            request.keyID = try reader.requiredKeyReference("KeyId")
            return request
        } response: { (response: Kms_V1_CancelKeyDeletionResponse, _, names) in
            ["KeyId": .string(names.keyARN(response.keyID))]
        },
    ]
}
