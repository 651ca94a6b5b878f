import KMSCore
import KMSProto

/// Grants. Principals are this server's (SPIFFE IDs, subject DNs), not IAM ARNs.
extension AWSOperation {
    static let grantOperations: [AWSOperation] = [
        .rpc("CreateGrant", Methods.CreateGrant.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_CreateGrantRequest()
            request.keyID = try reader.requiredKeyReference("KeyId")
            request.granteePrincipal = try reader.requiredString("GranteePrincipal")
            request.retiringPrincipal = try reader.string("RetiringPrincipal") ?? ""
            request.operations = try reader.stringList("Operations")
            request.name = try reader.string("Name") ?? ""
            if let constraints = try reader.object("Constraints") {
                request.constraints = try grantConstraints(constraints)
            }
            try reader.grantTokens()
            return request
        } response: { (response: Kms_V1_CreateGrantResponse, _, _) in
            ["GrantId": .string(response.grantID), "GrantToken": .string(response.grantToken)]
        },
        .rpc("ListGrants", Methods.ListGrants.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_ListGrantsRequest()
            request.keyID = try reader.requiredKeyReference("KeyId")
            request.grantID = try reader.string("GrantId") ?? ""
            request.granteePrincipal = try reader.string("GranteePrincipal") ?? ""
            (request.pageSize, request.pageToken) = try AWSPaging.read(&reader)
            return request
        } response: { (response: Kms_V1_ListGrantsResponse, _, names) in
            AWSPaging.fields(nextPageToken: response.nextPageToken).merging(["Grants": .array(response.grants.map { grantEntry($0, names) })]) { $1 }
        },
        .rpc("ListRetirableGrants", Methods.ListRetirableGrants.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_ListRetirableGrantsRequest()
            request.retiringPrincipal = try reader.requiredString("RetiringPrincipal")
            (request.pageSize, request.pageToken) = try AWSPaging.read(&reader)
            return request
        } response: { (response: Kms_V1_ListRetirableGrantsResponse, _, names) in
            AWSPaging.fields(nextPageToken: response.nextPageToken).merging(["Grants": .array(response.grants.map { grantEntry($0, names) })]) { $1 }
        },
        .rpc("RetireGrant", Methods.RetireGrant.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_RetireGrantRequest()
            request.grantToken = try reader.string("GrantToken") ?? ""
            request.keyID = try reader.keyReference("KeyId") ?? ""
            request.grantID = try reader.string("GrantId") ?? ""
            return request
        } response: { (_: Kms_V1_RetireGrantResponse, _, _) in
            [:]
        } exceptionName: { reason, request in
            // A grant named by a token that names none is a bad token to AWS.
            guard !request.grantToken.isEmpty,
                  reason == KMSError.Code.grantNotFound.reason || reason == KMSError.Code.validation.reason else { return nil }
            return "InvalidGrantTokenException"
        },
        .rpc("RevokeGrant", Methods.RevokeGrant.descriptor) { (reader: inout AWSRequestReader) throws(KMSError) in
            var request = Kms_V1_RevokeGrantRequest()
            request.keyID = try reader.requiredKeyReference("KeyId")
            request.grantID = try reader.requiredString("GrantId")
            return request
        } response: { (_: Kms_V1_RevokeGrantResponse, _, _) in [:] },
    ]

    /// Reads `Constraints`.
    private static func grantConstraints(_ object: [String: AWSJSON]) throws(KMSError) -> Kms_V1_GrantConstraints {
        var constraints = Kms_V1_GrantConstraints()
        for (name, value) in object {
            switch name {
            case "EncryptionContextEquals":
                constraints.encryptionContextEquals = try AWSRequestReader.stringMap(value, name: "Constraints.\(name)")
            case "EncryptionContextSubset":
                constraints.encryptionContextSubset = try AWSRequestReader.stringMap(value, name: "Constraints.\(name)")
            default:
                throw KMSError(.validation, "Constraints.\(name) is not supported by this server (docs/AWS_COMPAT.md)")
            }
        }
        return constraints
    }

    /// AWS's `GrantListEntry` of a grant; `IssuingAccount` is the principal that made it.
    private static func grantEntry(_ grant: Kms_V1_GrantListEntry, _ names: AWSResourceNames) -> AWSJSON {
        var entry: [String: AWSJSON] = [
            "KeyId": .string(names.keyARN(grant.keyID)),
            "GrantId": .string(grant.grantID),
            "CreationDate": .date(grant.creationTime.date),
            "GranteePrincipal": .string(grant.granteePrincipal),
            "IssuingAccount": .string(grant.issuingPrincipal),
            "Operations": .strings(grant.operations),
        ]
        if !grant.name.isEmpty { entry["Name"] = .string(grant.name) }
        if !grant.retiringPrincipal.isEmpty { entry["RetiringPrincipal"] = .string(grant.retiringPrincipal) }
        if grant.hasConstraints {
            var constraints: [String: AWSJSON] = [:]
            if !grant.constraints.encryptionContextEquals.isEmpty {
                constraints["EncryptionContextEquals"] = .stringMap(grant.constraints.encryptionContextEquals)
            }
            if !grant.constraints.encryptionContextSubset.isEmpty {
                constraints["EncryptionContextSubset"] = .stringMap(grant.constraints.encryptionContextSubset)
            }
            entry["Constraints"] = .object(constraints)
        }
        return .object(entry)
    }
}
