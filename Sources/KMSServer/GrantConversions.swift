import Foundation
import KMSCore
import KMSProto
import SwiftProtobuf

extension GrantConstraints {
    /// The domain constraints of a request's `GrantConstraints` (absent: no limit).
    init(_ constraints: Kms_V1_GrantConstraints) {
        self.init(
            encryptionContextEquals: constraints.encryptionContextEquals,
            encryptionContextSubset: constraints.encryptionContextSubset
        )
    }
}

extension Kms_V1_GrantConstraints {
    init(_ constraints: GrantConstraints) {
        self.init()
        encryptionContextEquals = constraints.encryptionContextEquals
        encryptionContextSubset = constraints.encryptionContextSubset
    }
}

extension Kms_V1_GrantListEntry {
    /// A grant as ListGrants and ListRetirableGrants show it; the grant token is never listed.
    init(_ grant: Grant) {
        self.init()
        keyID = grant.keyID.description
        grantID = grant.grantID
        name = grant.name ?? ""
        creationTime = Google_Protobuf_Timestamp(date: grant.creationDate)
        granteePrincipal = grant.granteePrincipal.name
        retiringPrincipal = grant.retiringPrincipal?.name ?? ""
        issuingPrincipal = grant.issuingPrincipal.name
        operations = grant.operations.map(\.rpcName)
        if grant.constraints != GrantConstraints() {
            constraints = Kms_V1_GrantConstraints(grant.constraints)
        }
    }
}
