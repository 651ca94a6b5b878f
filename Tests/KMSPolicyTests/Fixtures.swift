import Foundation
import KMSCore
import KMSPolicy

/// Shared values and builders for the policy tests.
enum Fixture {
    /// `1b4e28ba-2fa1-11d2-883f-0016d3cca427`.
    static let keyA = KeyID(uuid: UUID(uuid: (
        0x1B, 0x4E, 0x28, 0xBA, 0x2F, 0xA1, 0x11, 0xD2, 0x88, 0x3F, 0x00, 0x16, 0xD3, 0xCC, 0xA4, 0x27)))
    /// `9f0c6a52-7d3e-4b1a-8c2d-5e6f7a8b9c0d`.
    static let keyB = KeyID(uuid: UUID(uuid: (
        0x9F, 0x0C, 0x6A, 0x52, 0x7D, 0x3E, 0x4B, 0x1A, 0x8C, 0x2D, 0x5E, 0x6F, 0x7A, 0x8B, 0x9C, 0x0D)))
    /// 2025-06-15T15:06:40Z.
    static let now = Date(timeIntervalSince1970: 1_750_000_000)
    static let paymentsAPI = "spiffe://prod.example/ns/payments/sa/api"
}

/// A request described with plain values, so test tables stay `Sendable` and readable.
struct RequestSpec: Sendable {
    var principal = Fixture.paymentsAPI
    var action = KMSAction.decrypt
    var keyID: KeyID? = Fixture.keyA
    var keySpec: KeySpec?
    var keyUsage: KeyUsage?
    var context: [String: String] = [:]
    var sourceIP: String?
    var requestAlias: String?
    var grantOperations: [String]?
    var granteePrincipal: String?
    var time = Fixture.now

    func build() throws -> AccessRequest {
        AccessRequest(
            principal: Principal(principal), action: action, keyID: keyID, keySpec: keySpec, keyUsage: keyUsage,
            encryptionContext: try EncryptionContext(context), sourceIP: sourceIP, requestAlias: requestAlias,
            grantOperations: grantOperations, granteePrincipal: granteePrincipal.map(Principal.init),
            currentTime: time)
    }
}

/// A grant described with plain values: by default, grant "g1" of key A lets the payments
/// API decrypt, without constraints.
struct GrantSpec: Sendable {
    var id = "g1"
    var keyID = Fixture.keyA
    var grantee = Fixture.paymentsAPI
    var operations: [KMSAction] = [.decrypt]
    var equals: [String: String] = [:]
    var subset: [String: String] = [:]

    func build() -> Grant {
        Grant(
            grantID: id, keyID: keyID, name: "name-\(id)", creationDate: Fixture.now,
            granteePrincipal: Principal(grantee), retiringPrincipal: nil,
            issuingPrincipal: Principal("spiffe://prod.example/ns/platform/sa/admin"), operations: operations,
            constraints: GrantConstraints(encryptionContextEquals: equals, encryptionContextSubset: subset),
            token: "token-\(id)")
    }
}

/// Builds policy JSON from statement fragments. Principal, Action and Resource are JSON
/// fragments, so a list is written `#"["a","b"]"#`.
enum PolicyJSON {
    static func document(_ statements: String...) -> String {
        #"{"Version":"2012-10-17","Statement":[\#(statements.joined(separator: ","))]}"#
    }

    static func statement(
        _ effect: String, sid: String? = nil, principal: String = #""*""#, action: String = #""kms:*""#,
        resource: String = #""*""#, condition: String? = nil
    ) -> String {
        var fields = [#""Effect":"\#(effect)""#, #""Principal":\#(principal)"#, #""Action":\#(action)"#,
                      #""Resource":\#(resource)"#]
        if let sid { fields.insert(#""Sid":"\#(sid)""#, at: 0) }
        if let condition { fields.append(#""Condition":\#(condition)"#) }
        return "{" + fields.joined(separator: ",") + "}"
    }

    static func allow(
        sid: String? = nil, principal: String = #""*""#, action: String = #""kms:*""#, resource: String = #""*""#,
        condition: String? = nil
    ) -> String {
        statement("Allow", sid: sid, principal: principal, action: action, resource: resource, condition: condition)
    }

    static func deny(
        sid: String? = nil, principal: String = #""*""#, action: String = #""kms:*""#, resource: String = #""*""#,
        condition: String? = nil
    ) -> String {
        statement("Deny", sid: sid, principal: principal, action: action, resource: resource, condition: condition)
    }
}
