import KMSCore
import KMSPolicy
import Testing

/// One condition block and one request: does the block hold?
struct ConditionCase: Sendable, CustomTestStringConvertible {
    let name: String
    let condition: String
    let request: RequestSpec
    let holds: Bool

    init(_ name: String, _ condition: String, _ request: RequestSpec = RequestSpec(), holds: Bool) {
        self.name = name
        self.condition = condition
        self.request = request
        self.holds = holds
    }

    var testDescription: String { name }
}

private func ec(_ pairs: [String: String]) -> RequestSpec {
    var spec = RequestSpec()
    spec.context = pairs
    return spec
}

private func ip(_ address: String?) -> RequestSpec {
    var spec = RequestSpec()
    spec.sourceIP = address
    return spec
}

private func with(_ change: (inout RequestSpec) -> Void) -> RequestSpec {
    var spec = RequestSpec()
    change(&spec)
    return spec
}

/// Condition operators, their IfExists / ForAllValues / ForAnyValue forms and missing keys.
private let conditionCases: [ConditionCase] = [
    // StringEquals
    .init("StringEquals matches the exact value", #"{"StringEquals":{"kms:EncryptionContext:tenant":"acme"}}"#, ec(["tenant": "acme"]), holds: true),
    .init("StringEquals is case-sensitive", #"{"StringEquals":{"kms:EncryptionContext:tenant":"acme"}}"#, ec(["tenant": "Acme"]), holds: false),
    .init("StringEquals ORs a list of values", #"{"StringEquals":{"kms:EncryptionContext:tenant":["acme","globex"]}}"#, ec(["tenant": "globex"]), holds: true),
    .init("StringEquals fails for an absent key", #"{"StringEquals":{"kms:EncryptionContext:tenant":"acme"}}"#, ec([:]), holds: false),
    .init("keys under one operator are ANDed (one missing)", #"{"StringEquals":{"kms:EncryptionContext:tenant":"acme","kms:EncryptionContext:app":"billing"}}"#, ec(["tenant": "acme"]), holds: false),
    .init("keys under one operator are ANDed (both present)", #"{"StringEquals":{"kms:EncryptionContext:tenant":"acme","kms:EncryptionContext:app":"billing"}}"#, ec(["tenant": "acme", "app": "billing"]), holds: true),
    .init("StringEquals treats * as a plain character", #"{"StringEquals":{"kms:EncryptionContext:tenant":"ac*"}}"#, ec(["tenant": "acme"]), holds: false),
    .init("context key names are case-sensitive", #"{"StringEquals":{"kms:EncryptionContext:Tenant":"acme"}}"#, ec(["tenant": "acme"]), holds: false),
    .init("condition key prefixes are case-insensitive", #"{"StringEquals":{"KMS:encryptioncontext:tenant":"acme"}}"#, ec(["tenant": "acme"]), holds: true),
    // StringNotEquals
    .init("StringNotEquals holds for another value", #"{"StringNotEquals":{"kms:EncryptionContext:tenant":"acme"}}"#, ec(["tenant": "beta"]), holds: true),
    .init("StringNotEquals fails for the value", #"{"StringNotEquals":{"kms:EncryptionContext:tenant":"acme"}}"#, ec(["tenant": "acme"]), holds: false),
    .init("StringNotEquals holds for an absent key", #"{"StringNotEquals":{"kms:EncryptionContext:tenant":"acme"}}"#, ec([:]), holds: true),
    .init("StringNotEquals with a list fails when any value equals", #"{"StringNotEquals":{"kms:EncryptionContext:tenant":["acme","beta"]}}"#, ec(["tenant": "beta"]), holds: false),
    // StringEqualsIgnoreCase / StringNotEqualsIgnoreCase
    .init("StringEqualsIgnoreCase ignores ASCII case", #"{"StringEqualsIgnoreCase":{"kms:EncryptionContext:tenant":"acme"}}"#, ec(["tenant": "ACME"]), holds: true),
    .init("StringEqualsIgnoreCase ignores non-ASCII case", #"{"StringEqualsIgnoreCase":{"kms:EncryptionContext:city":"zürich"}}"#, ec(["city": "ZÜRICH"]), holds: true),
    .init("StringEqualsIgnoreCase still compares letters", #"{"StringEqualsIgnoreCase":{"kms:EncryptionContext:tenant":"acme"}}"#, ec(["tenant": "acne"]), holds: false),
    .init("StringEqualsIgnoreCase fails for an absent key", #"{"StringEqualsIgnoreCase":{"kms:EncryptionContext:tenant":"acme"}}"#, ec([:]), holds: false),
    .init("StringNotEqualsIgnoreCase fails for a case variant", #"{"StringNotEqualsIgnoreCase":{"kms:EncryptionContext:tenant":"acme"}}"#, ec(["tenant": "AcMe"]), holds: false),
    .init("StringNotEqualsIgnoreCase holds for an absent key", #"{"StringNotEqualsIgnoreCase":{"kms:EncryptionContext:tenant":"acme"}}"#, ec([:]), holds: true),
    // StringLike / StringNotLike
    .init("StringLike * spans slashes", #"{"StringLike":{"kms:CallerPrincipal":"spiffe://prod.example/ns/payments/*"}}"#, RequestSpec(), holds: true),
    .init("StringLike ? matches one character", #"{"StringLike":{"kms:EncryptionContext:team":"team-?"}}"#, ec(["team": "team-a"]), holds: true),
    .init("StringLike ? matches one non-ASCII character", #"{"StringLike":{"kms:EncryptionContext:team":"team-?"}}"#, ec(["team": "team-é"]), holds: true),
    .init("StringLike ? does not match two characters", #"{"StringLike":{"kms:EncryptionContext:team":"team-?"}}"#, ec(["team": "team-ab"]), holds: false),
    .init("StringLike with inner wildcards", #"{"StringLike":{"kms:EncryptionContext:path":"/data/*/reports/*.csv"}}"#, ec(["path": "/data/eu/2025/reports/q1.csv"]), holds: true),
    .init("StringLike with inner wildcards rejects a different suffix", #"{"StringLike":{"kms:EncryptionContext:path":"/data/*/reports/*.csv"}}"#, ec(["path": "/data/eu/reports/q1.json"]), holds: false),
    .init("StringLike fails for an absent key", #"{"StringLike":{"kms:EncryptionContext:team":"*"}}"#, ec([:]), holds: false),
    .init("StringLike ${*} is a literal star", #"{"StringLike":{"kms:EncryptionContext:tag":"a${*}"}}"#, ec(["tag": "a*"]), holds: true),
    .init("StringLike ${*} does not act as a wildcard", #"{"StringLike":{"kms:EncryptionContext:tag":"a${*}"}}"#, ec(["tag": "ab"]), holds: false),
    .init("StringNotLike holds for a non-matching value", #"{"StringNotLike":{"kms:EncryptionContext:env":"dev-*"}}"#, ec(["env": "prod-1"]), holds: true),
    .init("StringNotLike fails for a matching value", #"{"StringNotLike":{"kms:EncryptionContext:env":"dev-*"}}"#, ec(["env": "dev-1"]), holds: false),
    .init("StringNotLike holds for an absent key", #"{"StringNotLike":{"kms:EncryptionContext:env":"dev-*"}}"#, ec([:]), holds: true),
    // IfExists
    .init("StringEqualsIfExists holds for an absent key", #"{"StringEqualsIfExists":{"kms:EncryptionContext:tenant":"acme"}}"#, ec([:]), holds: true),
    .init("StringEqualsIfExists tests a present key", #"{"StringEqualsIfExists":{"kms:EncryptionContext:tenant":"acme"}}"#, ec(["tenant": "beta"]), holds: false),
    .init("StringLikeIfExists matches a present key", #"{"StringLikeIfExists":{"kms:RequestAlias":"alias/payments-*"}}"#, with { $0.requestAlias = "alias/payments-eu" }, holds: true),
    .init("StringNotEqualsIfExists fails for the value", #"{"StringNotEqualsIfExists":{"kms:EncryptionContext:tenant":"acme"}}"#, ec(["tenant": "acme"]), holds: false),
    .init("StringNotLikeIfExists holds for an absent key", #"{"StringNotLikeIfExists":{"kms:EncryptionContext:env":"dev-*"}}"#, ec([:]), holds: true),
    // ForAllValues / ForAnyValue
    .init("ForAllValues holds when every key is listed", #"{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["tenant","app"]}}"#, ec(["tenant": "a", "app": "b"]), holds: true),
    .init("ForAllValues fails when one key is not listed", #"{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["tenant","app"]}}"#, ec(["tenant": "a", "other": "b"]), holds: false),
    .init("ForAllValues holds for no values", #"{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["tenant"]}}"#, ec([:]), holds: true),
    .init("ForAllValues:StringLike applies patterns to every value", #"{"ForAllValues:StringLike":{"kms:EncryptionContextKeys":"app-*"}}"#, ec(["app-a": "1", "app-b": "2"]), holds: true),
    .init("ForAllValues:StringNotEquals holds when no value is listed", #"{"ForAllValues:StringNotEquals":{"kms:EncryptionContextKeys":"secret"}}"#, ec(["a": "1", "b": "2"]), holds: true),
    .init("ForAllValues:StringNotEquals fails when one value is listed", #"{"ForAllValues:StringNotEquals":{"kms:EncryptionContextKeys":"secret"}}"#, ec(["a": "1", "secret": "2"]), holds: false),
    .init("ForAnyValue holds when one value is listed", #"{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":"tenant"}}"#, ec(["tenant": "a", "x": "b"]), holds: true),
    .init("ForAnyValue fails when no value is listed", #"{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":"tenant"}}"#, ec(["x": "b"]), holds: false),
    .init("ForAnyValue fails for no values", #"{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":"tenant"}}"#, ec([:]), holds: false),
    .init("ForAnyValue:StringNotEquals fails for no values", #"{"ForAnyValue:StringNotEquals":{"kms:EncryptionContextKeys":"tenant"}}"#, ec([:]), holds: false),
    .init("ForAnyValue IfExists holds for no values", #"{"ForAnyValue:StringEqualsIfExists":{"kms:EncryptionContextKeys":"tenant"}}"#, ec([:]), holds: true),
    .init("ForAnyValue:StringEqualsIgnoreCase on grant operations", #"{"ForAnyValue:StringEqualsIgnoreCase":{"kms:GrantOperations":"decrypt"}}"#, with { $0.grantOperations = ["Encrypt", "Decrypt"] }, holds: true),
    .init("ForAnyValue fails for absent grant operations", #"{"ForAnyValue:StringEquals":{"kms:GrantOperations":"Decrypt"}}"#, RequestSpec(), holds: false),
    .init("ForAllValues:StringEquals limits grant operations", #"{"ForAllValues:StringEquals":{"kms:GrantOperations":["Encrypt","Decrypt"]}}"#, with { $0.grantOperations = ["Decrypt", "ReEncryptFrom"] }, holds: false),
    // Bool
    .init("Bool matches true", #"{"Bool":{"kms:EncryptionContext:archived":"true"}}"#, ec(["archived": "true"]), holds: true),
    .init("Bool accepts a JSON boolean and any case", #"{"Bool":{"kms:EncryptionContext:archived":true}}"#, ec(["archived": "TRUE"]), holds: true),
    .init("Bool does not match the other value", #"{"Bool":{"kms:EncryptionContext:archived":"true"}}"#, ec(["archived": "false"]), holds: false),
    .init("Bool does not match a non-boolean", #"{"Bool":{"kms:EncryptionContext:archived":"true"}}"#, ec(["archived": "yes"]), holds: false),
    .init("Bool fails for an absent key", #"{"Bool":{"kms:EncryptionContext:archived":"false"}}"#, ec([:]), holds: false),
    .init("BoolIfExists holds for an absent key", #"{"BoolIfExists":{"kms:EncryptionContext:archived":"false"}}"#, ec([:]), holds: true),
    // Numeric
    .init("NumericEquals compares numbers, not text", #"{"NumericEquals":{"kms:EncryptionContext:version":3}}"#, ec(["version": "3.0"]), holds: true),
    .init("NumericEquals fails for another number", #"{"NumericEquals":{"kms:EncryptionContext:version":"3"}}"#, ec(["version": "4"]), holds: false),
    .init("NumericEquals fails for a non-number", #"{"NumericEquals":{"kms:EncryptionContext:version":"3"}}"#, ec(["version": "three"]), holds: false),
    .init("NumericNotEquals holds for another number", #"{"NumericNotEquals":{"kms:EncryptionContext:version":"3"}}"#, ec(["version": "4"]), holds: true),
    .init("NumericNotEquals fails for the number", #"{"NumericNotEquals":{"kms:EncryptionContext:version":"3"}}"#, ec(["version": "3"]), holds: false),
    .init("NumericNotEquals holds for an absent key", #"{"NumericNotEquals":{"kms:EncryptionContext:version":"3"}}"#, ec([:]), holds: true),
    .init("NumericLessThan below", #"{"NumericLessThan":{"kms:EncryptionContext:size":"10"}}"#, ec(["size": "9.5"]), holds: true),
    .init("NumericLessThan at the bound", #"{"NumericLessThan":{"kms:EncryptionContext:size":"10"}}"#, ec(["size": "10"]), holds: false),
    .init("NumericLessThanEquals at the bound", #"{"NumericLessThanEquals":{"kms:EncryptionContext:size":"10"}}"#, ec(["size": "10"]), holds: true),
    .init("NumericGreaterThan above", #"{"NumericGreaterThan":{"kms:EncryptionContext:size":"10"}}"#, ec(["size": "11"]), holds: true),
    .init("NumericGreaterThan at the bound", #"{"NumericGreaterThan":{"kms:EncryptionContext:size":"10"}}"#, ec(["size": "10"]), holds: false),
    .init("NumericGreaterThanEquals at the bound", #"{"NumericGreaterThanEquals":{"kms:EncryptionContext:size":"-1e1"}}"#, ec(["size": "-10"]), holds: true),
    .init("NumericLessThan fails for an absent key", #"{"NumericLessThan":{"kms:EncryptionContext:size":"10"}}"#, ec([:]), holds: false),
    .init("NumericLessThanIfExists holds for an absent key", #"{"NumericLessThanIfExists":{"kms:EncryptionContext:size":"10"}}"#, ec([:]), holds: true),
    // Date (now is 2025-06-15T15:06:40Z = 1750000000)
    .init("DateLessThan an ISO 8601 time in the future", #"{"DateLessThan":{"kms:CurrentTime":"2026-01-01T00:00:00Z"}}"#, RequestSpec(), holds: true),
    .init("DateGreaterThan a date-only value in the future", #"{"DateGreaterThan":{"kms:CurrentTime":"2026-01-01"}}"#, RequestSpec(), holds: false),
    .init("DateLessThan epoch seconds as text", #"{"DateLessThan":{"kms:CurrentTime":"1750000001"}}"#, RequestSpec(), holds: true),
    .init("DateLessThan is strict at the instant", #"{"DateLessThan":{"kms:CurrentTime":1750000000}}"#, RequestSpec(), holds: false),
    .init("DateLessThanEquals includes the instant", #"{"DateLessThanEquals":{"kms:CurrentTime":1750000000}}"#, RequestSpec(), holds: true),
    .init("DateGreaterThanEquals includes the instant", #"{"DateGreaterThanEquals":{"kms:CurrentTime":"2025-06-15T15:06:40Z"}}"#, RequestSpec(), holds: true),
    .init("DateEquals honours a zone offset", #"{"DateEquals":{"kms:CurrentTime":"2025-06-15T17:06:40+02:00"}}"#, RequestSpec(), holds: true),
    .init("DateNotEquals fails at the instant", #"{"DateNotEquals":{"kms:CurrentTime":"2025-06-15T15:06:40Z"}}"#, RequestSpec(), holds: false),
    .init("DateGreaterThan with fractional seconds", #"{"DateGreaterThan":{"kms:CurrentTime":"2025-06-15T15:06:39.5Z"}}"#, RequestSpec(), holds: true),
    .init("Date window: after start AND before end", #"{"DateGreaterThan":{"kms:CurrentTime":"2025-06-01T00:00:00Z"},"DateLessThan":{"kms:CurrentTime":"2025-06-15T15:00:00Z"}}"#, RequestSpec(), holds: false),
    // IpAddress / NotIpAddress
    .init("IpAddress inside an IPv4 block", #"{"IpAddress":{"kms:SourceIp":"10.0.0.0/8"}}"#, ip("10.1.2.3"), holds: true),
    .init("IpAddress outside an IPv4 block", #"{"IpAddress":{"kms:SourceIp":"10.0.0.0/8"}}"#, ip("11.0.0.1"), holds: false),
    .init("IpAddress inside an IPv6 block", #"{"IpAddress":{"kms:SourceIp":"2001:db8::/32"}}"#, ip("2001:db8:1::5"), holds: true),
    .init("IpAddress outside an IPv6 block", #"{"IpAddress":{"kms:SourceIp":"2001:db8::/32"}}"#, ip("2001:db9::1"), holds: false),
    .init("IpAddress matches an IPv4-mapped IPv6 caller", #"{"IpAddress":{"kms:SourceIp":"192.0.2.0/24"}}"#, ip("::ffff:192.0.2.7"), holds: true),
    .init("IpAddress ORs a list of blocks", #"{"IpAddress":{"kms:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}"#, ip("192.168.3.4"), holds: true),
    .init("IpAddress with a bare address", #"{"IpAddress":{"kms:SourceIp":"203.0.113.9"}}"#, ip("203.0.113.9"), holds: true),
    .init("IpAddress fails for an absent address", #"{"IpAddress":{"kms:SourceIp":"0.0.0.0/0"}}"#, ip(nil), holds: false),
    .init("IpAddress fails for an unparsable address", #"{"IpAddress":{"kms:SourceIp":"0.0.0.0/0"}}"#, ip("ipv4:10.0.0.1:443"), holds: false),
    .init("IpAddressIfExists holds for an absent address", #"{"IpAddressIfExists":{"kms:SourceIp":"10.0.0.0/8"}}"#, ip(nil), holds: true),
    .init("NotIpAddress holds outside the block", #"{"NotIpAddress":{"kms:SourceIp":"10.0.0.0/8"}}"#, ip("192.168.1.1"), holds: true),
    .init("NotIpAddress fails inside the block", #"{"NotIpAddress":{"kms:SourceIp":"10.0.0.0/8"}}"#, ip("10.0.0.1"), holds: false),
    .init("NotIpAddress holds for an absent address", #"{"NotIpAddress":{"kms:SourceIp":"10.0.0.0/8"}}"#, ip(nil), holds: true),
    // Null
    .init("Null true holds for an absent key", #"{"Null":{"kms:EncryptionContext:tenant":"true"}}"#, ec([:]), holds: true),
    .init("Null true fails for a present key", #"{"Null":{"kms:EncryptionContext:tenant":true}}"#, ec(["tenant": "acme"]), holds: false),
    .init("Null false holds for a present key", #"{"Null":{"kms:EncryptionContext:tenant":"false"}}"#, ec(["tenant": "acme"]), holds: true),
    .init("Null true holds for no context keys", #"{"Null":{"kms:EncryptionContextKeys":"true"}}"#, ec([:]), holds: true),
    .init("Null false on the source address", #"{"Null":{"kms:SourceIp":"false"}}"#, ip("10.0.0.1"), holds: true),
    // Other condition keys
    .init("kms:KeyId is the lower-case key id", #"{"StringEquals":{"kms:KeyId":"1b4e28ba-2fa1-11d2-883f-0016d3cca427"}}"#, RequestSpec(), holds: true),
    .init("kms:KeyId is absent without a key", #"{"StringEquals":{"kms:KeyId":"1b4e28ba-2fa1-11d2-883f-0016d3cca427"}}"#, with { $0.keyID = nil }, holds: false),
    .init("kms:KeySpec", #"{"StringEquals":{"kms:KeySpec":"SYMMETRIC_DEFAULT"}}"#, with { $0.keySpec = .symmetricDefault }, holds: true),
    .init("kms:KeySpec absent", #"{"StringEquals":{"kms:KeySpec":"SYMMETRIC_DEFAULT"}}"#, RequestSpec(), holds: false),
    .init("kms:KeyUsage", #"{"StringEquals":{"kms:KeyUsage":"ENCRYPT_DECRYPT"}}"#, with { $0.keyUsage = .signVerify }, holds: false),
    .init("kms:RequestAlias absent", #"{"StringLike":{"kms:RequestAlias":"alias/*"}}"#, RequestSpec(), holds: false),
    .init("kms:GranteePrincipal", #"{"StringLike":{"kms:GranteePrincipal":"spiffe://prod.example/ns/payments/*"}}"#, with { $0.granteePrincipal = "spiffe://prod.example/ns/payments/sa/worker" }, holds: true),
    .init("kms:CallerPrincipal StringEquals", #"{"StringEquals":{"kms:CallerPrincipal":"spiffe://prod.example/ns/payments/sa/web"}}"#, RequestSpec(), holds: false),
    // Several operators are ANDed
    .init("several operators all hold", #"{"StringEquals":{"kms:EncryptionContext:tenant":"acme"},"IpAddress":{"kms:SourceIp":"10.0.0.0/8"}}"#, with { $0.context = ["tenant": "acme"]; $0.sourceIP = "10.9.9.9" }, holds: true),
    .init("several operators, one fails", #"{"StringEquals":{"kms:EncryptionContext:tenant":"acme"},"IpAddress":{"kms:SourceIp":"10.0.0.0/8"}}"#, with { $0.context = ["tenant": "acme"]; $0.sourceIP = "172.16.0.1" }, holds: false),
]

@Suite struct ConditionTableTests {
    @Test(arguments: conditionCases)
    func conditionDecidesTheStatement(_ testCase: ConditionCase) throws {
        let policy = try CompiledPolicy.compile(PolicyJSON.document(PolicyJSON.allow(sid: "Cond", condition: testCase.condition)))
        let request = try testCase.request.build()
        let decision = PolicyEngine.decide(request, keyPolicy: nil, serverPolicy: policy)
        let expected: AccessDecision = testCase.holds
            ? .allowed(by: StatementReference(policy: .server, index: 0, sid: "Cond")) : .implicitDeny
        #expect(decision == expected)
        let explanation = PolicyEngine.explain(request, keyPolicy: nil, serverPolicy: policy)
        #expect(explanation.decision == decision)
        #expect(explanation.statements.first?.conditions.allSatisfy(\.held) == testCase.holds)
    }
}
