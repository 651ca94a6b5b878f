import KMSCore
import KMSProto

/// Aliases and tags.
extension AWSOperation {
    static let aliasAndTagOperations: [AWSOperation] = [
        .rpc("CreateAlias", Methods.CreateAlias.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_CreateAliasRequest()
            request.aliasName = try reader.requiredString("AliasName")
            request.targetKeyID = try reader.requiredKeyReference("TargetKeyId")
            return request
        } response: { (_: Kms_V1_CreateAliasResponse, _, _) in [:] },
        .rpc("UpdateAlias", Methods.UpdateAlias.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_UpdateAliasRequest()
            request.aliasName = try reader.requiredString("AliasName")
            request.targetKeyID = try reader.requiredKeyReference("TargetKeyId")
            return request
        } response: { (_: Kms_V1_UpdateAliasResponse, _, _) in [:] },
        .rpc("DeleteAlias", Methods.DeleteAlias.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_DeleteAliasRequest()
            request.aliasName = try reader.requiredString("AliasName")
            return request
        } response: { (_: Kms_V1_DeleteAliasResponse, _, _) in [:] },
        .rpc("ListAliases", Methods.ListAliases.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_ListAliasesRequest()
            request.keyID = try reader.keyReference("KeyId") ?? ""
            (request.pageSize, request.pageToken) = try AWSPaging.read(&reader)
            return request
        } response: { (response: Kms_V1_ListAliasesResponse, _, names) in
            AWSPaging.fields(nextPageToken: response.nextPageToken).merging([
                "Aliases": .array(response.aliases.map {
                    .object([
                        "AliasName": .string($0.aliasName), "AliasArn": .string(names.aliasARN($0.aliasName)),
                        "TargetKeyId": .string($0.targetKeyID),
                    ])
                }),
            ]) { $1 }
        },
        .rpc("TagResource", Methods.TagResource.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_TagResourceRequest()
            request.keyID = try reader.requiredKeyReference("KeyId")
            request.tags = try AWSTags.read(&reader)
            return request
        } response: { (_: Kms_V1_TagResourceResponse, _, _) in
            [:]
        } exceptionName: { reason, request in
            AWSTags.exceptionName(reason: reason, tagKeys: request.tags.keys)
        },
        .rpc("UntagResource", Methods.UntagResource.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_UntagResourceRequest()
            request.keyID = try reader.requiredKeyReference("KeyId")
            request.tagKeys = try reader.stringList("TagKeys")
            return request
        } response: { (_: Kms_V1_UntagResourceResponse, _, _) in [:] },
        .rpc("ListResourceTags", Methods.ListResourceTags.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_ListResourceTagsRequest()
            request.keyID = try reader.requiredKeyReference("KeyId")
            (request.pageSize, request.pageToken) = try AWSPaging.read(&reader)
            return request
        } response: { (response: Kms_V1_ListResourceTagsResponse, _, _) in
            AWSPaging.fields(nextPageToken: response.nextPageToken).merging(["Tags": .array(AWSTags.json(response.tags))]) { $1 }
        },
    ]
}
