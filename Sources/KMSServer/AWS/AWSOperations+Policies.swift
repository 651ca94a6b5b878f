import KMSCore
import KMSProto
import KMSService

/// Key policies. A key has one policy, named `default` as in AWS.
extension AWSOperation {
    /// The name of a key's one policy.
    static let policyName = KeyManagementService.defaultPolicyName

    static let policyOperations: [AWSOperation] = [
        .rpc("GetKeyPolicy", Methods.GetKeyPolicy.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_GetKeyPolicyRequest()
            request.keyID = try reader.requiredKeyReference("KeyId")
            try reader.onlyDefault("PolicyName", .string(policyName))
            return request
        } response: { (response: Kms_V1_GetKeyPolicyResponse, _, _) in
            ["Policy": .string(response.policy), "PolicyName": .string(policyName)]
        },
        .rpc("PutKeyPolicy", Methods.PutKeyPolicy.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_PutKeyPolicyRequest()
            request.keyID = try reader.requiredKeyReference("KeyId")
            request.policy = try reader.requiredString("Policy")
            request.bypassPolicyLockoutSafetyCheck = try reader.bool("BypassPolicyLockoutSafetyCheck") ?? false
            try reader.onlyDefault("PolicyName", .string(policyName))
            return request
        } response: { (_: Kms_V1_PutKeyPolicyResponse, _, _) in [:] },
        .rpc("ListKeyPolicies", Methods.ListKeyPolicies.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_ListKeyPoliciesRequest()
            request.keyID = try reader.requiredKeyReference("KeyId")
            (request.pageSize, request.pageToken) = try AWSPaging.read(&reader)
            return request
        } response: { (response: Kms_V1_ListKeyPoliciesResponse, _, _) in
            AWSPaging.fields(nextPageToken: response.nextPageToken).merging(["PolicyNames": .strings(response.policyNames)]) { $1 }
        },
    ]
}
