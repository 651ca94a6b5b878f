import Foundation
import KMSCore

/// Builders for grants used across the key store tests.
package enum TestGrants {
    package static let grantee = Principal("spiffe://test/ns/payments/sa/api")
    package static let retiring = Principal("spiffe://test/ns/payments/sa/retirer")
    package static let issuer = Principal("spiffe://test/owner")

    /// A grant on `keyID` with a random 64-hex-character id and a random token unless given.
    package static func make(
        on keyID: KeyID,
        id: String = randomID(),
        name: String? = nil,
        grantee: Principal = grantee,
        retiring: Principal? = retiring,
        operations: [KMSAction] = [.decrypt, .encrypt],
        constraints: GrantConstraints = GrantConstraints(),
        token: String = randomToken()
    ) -> Grant {
        Grant(
            grantID: id, keyID: keyID, name: name, creationDate: TestKeys.creationDate.addingTimeInterval(TestKeys.day),
            granteePrincipal: grantee, retiringPrincipal: retiring, issuingPrincipal: issuer,
            operations: operations, constraints: constraints, token: token
        )
    }

    /// 64 random lower-case hexadecimal characters, as the service makes grant ids.
    package static func randomID() -> String {
        TestKeys.randomBytes(32).map { String(format: "%02x", $0) }.joined()
    }

    /// A random base64url token.
    package static func randomToken() -> String {
        Data(TestKeys.randomBytes(48)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }
}
