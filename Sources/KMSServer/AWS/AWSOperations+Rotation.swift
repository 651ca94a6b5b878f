import KMSCore
import KMSProto

/// Automatic and on-demand rotation.
extension AWSOperation {
    static let rotationOperations: [AWSOperation] = [
        .rpc("EnableKeyRotation", Methods.EnableKeyRotation.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_EnableKeyRotationRequest()
            request.keyID = try reader.requiredKeyReference("KeyId")
            request.rotationPeriodInDays = try reader.integer("RotationPeriodInDays") ?? 0
            return request
        } response: { (_: Kms_V1_EnableKeyRotationResponse, _, _) in [:] },
        .rpc("DisableKeyRotation", Methods.DisableKeyRotation.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_DisableKeyRotationRequest()
            request.keyID = try reader.requiredKeyReference("KeyId")
            return request
        } response: { (_: Kms_V1_DisableKeyRotationResponse, _, _) in [:] },
        .rpc("GetKeyRotationStatus", Methods.GetKeyRotationStatus.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_GetKeyRotationStatusRequest()
            request.keyID = try reader.requiredKeyReference("KeyId")
            return request
        } response: { (response: Kms_V1_GetKeyRotationStatusResponse, request, names) in
            var fields: [String: AWSJSON] = ["KeyRotationEnabled": .bool(response.enabled)]
            if response.enabled {
                fields["RotationPeriodInDays"] = .integer(Int64(response.rotationPeriodInDays))
                if response.hasNextRotationTime { fields["NextRotationDate"] = .date(response.nextRotationTime.date) }
            }
            // The request may name the key by alias; the response names it by ARN only when
            // the request gave an id (the RPC answers no key id).
            if KeyID(string: request.keyID) != nil { fields["KeyId"] = .string(names.keyARN(request.keyID)) }
            return fields
        },
        .rpc("RotateKeyOnDemand", Methods.RotateKeyOnDemand.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_RotateKeyOnDemandRequest()
            request.keyID = try reader.requiredKeyReference("KeyId")
            return request
        } response: { (response: Kms_V1_RotateKeyOnDemandResponse, _, names) in
            ["KeyId": .string(names.keyARN(response.keyID))]
        },
        .rpc("ListKeyRotations", Methods.ListKeyRotations.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_ListKeyRotationsRequest()
            request.keyID = try reader.requiredKeyReference("KeyId")
            (request.pageSize, request.pageToken) = try AWSPaging.read(&reader)
            return request
        } response: { (response: Kms_V1_ListKeyRotationsResponse, request, names) in
            AWSPaging.fields(nextPageToken: response.nextPageToken).merging([
                "Rotations": .array(response.rotations.map { rotation in
                    var entry: [String: AWSJSON] = ["RotationDate": .date(rotation.createTime.date)]
                    entry["RotationType"] = AWSNames.rotationTypes.name(of: rotation.rotationType).map(AWSJSON.string)
                    if KeyID(string: request.keyID) != nil { entry["KeyId"] = .string(names.keyARN(request.keyID)) }
                    return .object(entry)
                }),
            ]) { $1 }
        },
    ]
}
