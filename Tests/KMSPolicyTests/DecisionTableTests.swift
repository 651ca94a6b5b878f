import KMSCore
import KMSPolicy
import Testing

/// The decision a case expects, naming the deciding statement by policy and index, or the
/// deciding grant by id.
enum ExpectedDecision: Sendable, Equatable {
    case allowed(PolicySource, Int)
    case grant(String)
    case denied(PolicySource, Int)
    case implicitDeny

    init(_ decision: AccessDecision) {
        switch decision {
        case .allowed(let by): self = .allowed(by.policy, by.index)
        case .allowedByGrant(let grantID): self = .grant(grantID)
        case .explicitDeny(let by): self = .denied(by.policy, by.index)
        case .implicitDeny: self = .implicitDeny
        }
    }

    /// Whether the request may proceed.
    var isAllowed: Bool {
        switch self {
        case .allowed, .grant: true
        case .denied, .implicitDeny: false
        }
    }
}

/// A key policy and a server policy (either may be absent), the key's grants, a request,
/// and the decision.
struct DecisionCase: Sendable, CustomTestStringConvertible {
    let name: String
    let keyPolicy: String?
    let serverPolicy: String?
    let grants: [GrantSpec]
    let request: RequestSpec
    let expected: ExpectedDecision

    init(_ name: String, key: String? = nil, server: String? = nil, grants: [GrantSpec] = [],
         _ expected: ExpectedDecision) {
        self.init(name, key: key, server: server, grants: grants, RequestSpec(), expected)
    }

    init(_ name: String, key: String? = nil, server: String? = nil, grants: [GrantSpec] = [],
         _ request: RequestSpec, _ expected: ExpectedDecision) {
        self.name = name
        keyPolicy = key
        serverPolicy = server
        self.grants = grants
        self.request = request
        self.expected = expected
    }

    var testDescription: String { name }
}

private typealias P = PolicyJSON

private func caller(_ principal: String, _ action: KMSAction = .decrypt) -> RequestSpec {
    var spec = RequestSpec()
    spec.principal = principal
    spec.action = action
    return spec
}

private func action(_ action: KMSAction, key: KeyID? = Fixture.keyA) -> RequestSpec {
    var spec = RequestSpec()
    spec.action = action
    spec.keyID = key
    return spec
}

private func context(_ pairs: [String: String], _ action: KMSAction = .decrypt) -> RequestSpec {
    var spec = RequestSpec()
    spec.context = pairs
    spec.action = action
    return spec
}

private func grant(
    _ operations: [KMSAction] = [.decrypt], id: String = "g1", key: KeyID = Fixture.keyA,
    grantee: String = Fixture.paymentsAPI, equals: [String: String] = [:], subset: [String: String] = [:]
) -> GrantSpec {
    GrantSpec(id: id, keyID: key, grantee: grantee, operations: operations, equals: equals, subset: subset)
}

private let keyA = Fixture.keyA.description
private let keyB = Fixture.keyB.description

private let decisionCases: [DecisionCase] = [
    // Principal patterns
    .init("exact principal", key: P.document(P.allow(principal: #""spiffe://prod.example/ns/payments/sa/api""#)), .allowed(.key, 0)),
    .init("exact principal does not match another", key: P.document(P.allow(principal: #""spiffe://prod.example/ns/payments/sa/web""#)), .implicitDeny),
    .init("exact principal is not a prefix match", key: P.document(P.allow(principal: #""spiffe://prod.example/ns/payments/sa/ap""#)), .implicitDeny),
    .init("trailing * spans several path segments", key: P.document(P.allow(principal: #""spiffe://prod.example/ns/payments/*""#)), .allowed(.key, 0)),
    .init("trailing * does not match another namespace", key: P.document(P.allow(principal: #""spiffe://prod.example/ns/payments/*""#)), caller("spiffe://prod.example/ns/billing/sa/api"), .implicitDeny),
    .init("principals are case-sensitive", key: P.document(P.allow(principal: #""spiffe://prod.example/ns/payments/*""#)), caller("spiffe://Prod.example/ns/payments/sa/api"), .implicitDeny),
    .init("inner * matches any trust domain", key: P.document(P.allow(principal: #""spiffe://*/ns/payments/sa/api""#)), caller("spiffe://staging.example/ns/payments/sa/api"), .allowed(.key, 0)),
    .init("? matches one character in a DN", key: P.document(P.allow(principal: #""CN=app-?,O=Example""#)), caller("CN=app-1,O=Example"), .allowed(.key, 0)),
    .init("? does not match two characters", key: P.document(P.allow(principal: #""CN=app-?,O=Example""#)), caller("CN=app-12,O=Example"), .implicitDeny),
    .init("a principal list matches any entry", key: P.document(P.allow(principal: #"["CN=legacy,O=Example","spiffe://prod.example/ns/payments/sa/api"]"#)), .allowed(.key, 0)),
    .init("Principal * matches everyone", key: P.document(P.allow(principal: #""*""#)), caller("CN=anyone"), .allowed(.key, 0)),
    // Action patterns
    .init("another action does not match", key: P.document(P.allow(action: #""kms:Encrypt""#)), .implicitDeny),
    .init("kms:* matches every action", key: P.document(P.allow(action: #""kms:*""#)), action(.putKeyPolicy), .allowed(.key, 0)),
    .init("kms:Generate* matches GenerateDataKey", key: P.document(P.allow(action: #""kms:Generate*""#)), action(.generateDataKey), .allowed(.key, 0)),
    .init("kms:Generate* matches GenerateDataKeyWithoutPlaintext", key: P.document(P.allow(action: #""kms:Generate*""#)), action(.generateDataKeyWithoutPlaintext), .allowed(.key, 0)),
    .init("kms:Generate* does not match Encrypt", key: P.document(P.allow(action: #""kms:Generate*""#)), action(.encrypt), .implicitDeny),
    .init("action names are case-insensitive", key: P.document(P.allow(action: #""KMS:decrypt""#)), .allowed(.key, 0)),
    .init("an action list matches any entry", key: P.document(P.allow(action: #"["kms:Encrypt","kms:Decrypt"]"#)), .allowed(.key, 0)),
    .init("kms:ReEncrypt* matches ReEncryptFrom", key: P.document(P.allow(action: #""kms:ReEncrypt*""#)), action(.reEncryptFrom), .allowed(.key, 0)),
    .init("Action * matches every action", server: P.document(P.allow(action: #""*""#)), action(.listKeys, key: nil), .allowed(.server, 0)),
    // Resource patterns
    .init("key/<id> matches that key", server: P.document(P.allow(resource: "\"key/\(keyA)\"")), .allowed(.server, 0)),
    .init("key/<id> does not match another key", server: P.document(P.allow(resource: "\"key/\(keyA)\"")), action(.decrypt, key: Fixture.keyB), .implicitDeny),
    .init("key/ prefix pattern", server: P.document(P.allow(resource: #""key/1b4e28ba-*""#)), .allowed(.server, 0)),
    .init("key/ prefix pattern rejects another key", server: P.document(P.allow(resource: #""key/1b4e28ba-*""#)), action(.decrypt, key: Fixture.keyB), .implicitDeny),
    .init("key/?…? pattern with inner wildcard", server: P.document(P.allow(resource: #""key/9f0c6a52-????-*-5e6f7a8b9c0d""#)), action(.decrypt, key: Fixture.keyB), .allowed(.server, 0)),
    .init("a resource list matches any entry", server: P.document(P.allow(resource: "[\"key/\(keyA)\",\"key/\(keyB)\"]")), action(.encrypt, key: Fixture.keyB), .allowed(.server, 0)),
    .init("Resource * in a key policy means its key", key: P.document(P.allow(resource: #""*""#)), .allowed(.key, 0)),
    .init("non-key action does not match key/*", server: P.document(P.allow(resource: #""key/*""#)), action(.createKey, key: nil), .implicitDeny),
    .init("non-key action matches Resource *", server: P.document(P.allow(resource: #""*""#)), action(.createKey, key: nil), .allowed(.server, 0)),
    .init("key action without a key does not match key/*", server: P.document(P.allow(resource: #""key/*""#)), action(.describeKey, key: nil), .implicitDeny),
    // Deny beats Allow
    .init("server Deny beats key policy Allow", key: P.document(P.allow()), server: P.document(P.deny(action: #""kms:Decrypt""#)), .denied(.server, 0)),
    .init("key policy Deny beats server Allow", key: P.document(P.deny(principal: #""spiffe://prod.example/ns/payments/*""#)), server: P.document(P.allow()), .denied(.key, 0)),
    .init("a later Deny beats an earlier Allow", key: P.document(P.allow(), P.deny()), .denied(.key, 1)),
    .init("a Deny whose condition fails does not apply", key: P.document(P.allow(), P.deny(condition: #"{"StringNotEquals":{"kms:EncryptionContext:tenant":"acme"}}"#)), { var spec = RequestSpec(); spec.context = ["tenant": "acme"]; return spec }(), .allowed(.key, 0)),
    .init("a Deny for another principal does not apply", key: P.document(P.allow()), server: P.document(P.deny(principal: #""CN=intruder""#)), .allowed(.key, 0)),
    .init("key policy Deny of another key action does not apply", key: P.document(P.allow(), P.deny(action: #""kms:PutKeyPolicy""#)), .allowed(.key, 0)),
    // Combining policies
    .init("the server policy alone can allow a key action", key: P.document(P.allow(action: #""kms:DescribeKey""#)), server: P.document(P.allow(action: #""kms:Decrypt""#)), .allowed(.server, 0)),
    .init("an Allow in both names the key policy", key: P.document(P.allow()), server: P.document(P.allow()), .allowed(.key, 0)),
    .init("no policies: default deny", .implicitDeny),
    .init("the first applying Allow is named", key: P.document(P.allow(action: #""kms:Encrypt""#), P.allow(), P.allow()), .allowed(.key, 1)),
    // Actions that are not about one key
    .init("CreateKey ignores the key policy", key: P.document(P.allow()), action(.createKey, key: nil), .implicitDeny),
    .init("ListKeys ignores a key policy Deny", key: P.document(P.deny()), server: P.document(P.allow(action: #""kms:ListKeys""#)), action(.listKeys, key: nil), .allowed(.server, 0)),
    .init("GenerateRandom allowed by the server policy", server: P.document(P.allow(action: #""kms:GenerateRandom""#)), action(.generateRandom, key: nil), .allowed(.server, 0)),
    .init("GenerateRandom denied by the server policy", server: P.document(P.allow(), P.deny(action: #""kms:GenerateRandom""#)), action(.generateRandom, key: nil), .denied(.server, 1)),
    // The default key policy
    .init("default key policy allows its creator", key: DefaultKeyPolicy.json(creator: Principal(Fixture.paymentsAPI)), .allowed(.key, 0)),
    .init("default key policy allows its creator PutKeyPolicy", key: DefaultKeyPolicy.json(creator: Principal(Fixture.paymentsAPI)), action(.putKeyPolicy), .allowed(.key, 0)),
    .init("default key policy denies others", key: DefaultKeyPolicy.json(creator: Principal(Fixture.paymentsAPI)), caller("spiffe://prod.example/ns/payments/sa/web"), .implicitDeny),
    .init("default key policy does not cover CreateKey", key: DefaultKeyPolicy.json(creator: Principal(Fixture.paymentsAPI)), action(.createKey, key: nil), .implicitDeny),
    .init("default key policy escapes * in the creator", key: DefaultKeyPolicy.json(creator: Principal("CN=ops*,O=Example")), caller("CN=opsX,O=Example"), .implicitDeny),
    .init("default key policy still names a creator with *", key: DefaultKeyPolicy.json(creator: Principal("CN=ops*,O=Example")), caller("CN=ops*,O=Example"), .allowed(.key, 0)),
    .init("default key policy escapes ? and $", key: DefaultKeyPolicy.json(creator: Principal("CN=a?${x}")), caller("CN=a?${x}"), .allowed(.key, 0)),
    // Grants: only the listed operations
    .init("a grant allows a listed operation", grants: [grant()], .grant("g1")),
    .init("a grant allows each of its operations", grants: [grant([.decrypt, .encrypt, .generateDataKey])], action(.generateDataKey), .grant("g1")),
    .init("a grant does not allow an unlisted operation", grants: [grant([.decrypt])], action(.encrypt), .implicitDeny),
    .init("a Decrypt grant does not allow ReEncryptFrom", grants: [grant([.decrypt])], action(.reEncryptFrom), .implicitDeny),
    .init("a grant does not allow managing the key", grants: [grant([.decrypt, .describeKey])], action(.putKeyPolicy), .implicitDeny),
    // Grants: only for the grantee and the key
    .init("a grant is only for its grantee", grants: [grant()], caller("spiffe://prod.example/ns/payments/sa/web"), .implicitDeny),
    .init("a grantee is exact, never a pattern", grants: [grant(grantee: "spiffe://prod.example/ns/payments/*")], .implicitDeny),
    .init("a grantee is case-sensitive", grants: [grant(grantee: "spiffe://prod.example/ns/payments/sa/API")], .implicitDeny),
    .init("a grant of another key does not apply", grants: [grant(key: Fixture.keyB)], .implicitDeny),
    .init("a grant does not apply to a request without a key", grants: [grant([.describeKey])], action(.describeKey, key: nil), .implicitDeny),
    .init("the first applying grant is named", grants: [grant(id: "g1", grantee: "CN=other"), grant([.encrypt], id: "g2"), grant(id: "g3"), grant(id: "g4")], .grant("g3")),
    // Grants: only within the constraints
    .init("encryption_context_equals holds for exactly its pairs", grants: [grant(equals: ["tenant": "acme", "order": "7"])], context(["order": "7", "tenant": "acme"]), .grant("g1")),
    .init("encryption_context_equals fails with an extra pair", grants: [grant(equals: ["tenant": "acme"])], context(["tenant": "acme", "order": "7"]), .implicitDeny),
    .init("encryption_context_equals fails with another value", grants: [grant(equals: ["tenant": "acme"])], context(["tenant": "globex"]), .implicitDeny),
    .init("encryption_context_equals fails with a missing pair", grants: [grant(equals: ["tenant": "acme", "order": "7"])], context(["tenant": "acme"]), .implicitDeny),
    .init("encryption_context_equals fails without a context", grants: [grant(equals: ["tenant": "acme"])], .implicitDeny),
    .init("encryption_context_equals values are case-sensitive", grants: [grant(equals: ["tenant": "acme"])], context(["tenant": "ACME"]), .implicitDeny),
    .init("encryption_context_subset holds with extra pairs", grants: [grant(subset: ["tenant": "acme"])], context(["tenant": "acme", "order": "7"]), .grant("g1")),
    .init("encryption_context_subset holds for exactly its pairs", grants: [grant(subset: ["tenant": "acme"])], context(["tenant": "acme"]), .grant("g1")),
    .init("encryption_context_subset fails with another value", grants: [grant(subset: ["tenant": "acme"])], context(["tenant": "globex", "order": "7"]), .implicitDeny),
    .init("encryption_context_subset fails with a missing pair", grants: [grant(subset: ["tenant": "acme"])], context(["order": "7"]), .implicitDeny),
    .init("encryption_context_subset fails without a context", grants: [grant(subset: ["tenant": "acme"])], .implicitDeny),
    .init("both constraints must hold", grants: [grant(equals: ["tenant": "acme"], subset: ["tenant": "globex"])], context(["tenant": "acme"]), .implicitDeny),
    .init("constraints apply to Encrypt too", grants: [grant([.encrypt], subset: ["tenant": "acme"])], context(["tenant": "globex"], .encrypt), .implicitDeny),
    // Grants never override a Deny
    .init("a key policy Deny beats a grant", key: P.document(P.deny(action: #""kms:Decrypt""#)), grants: [grant()], .denied(.key, 0)),
    .init("a server policy Deny beats a grant", server: P.document(P.deny(condition: #"{"StringLike":{"kms:EncryptionContext:tenant":"dev-*"}}"#)), grants: [grant(subset: ["tenant": "dev-1"])], context(["tenant": "dev-1"]), .denied(.server, 0)),
    .init("an Allow statement is named before a grant", key: P.document(P.allow()), grants: [grant()], .allowed(.key, 0)),
    .init("a grant allows what the policies do not", key: P.document(P.allow(action: #""kms:Encrypt""#)), server: P.document(P.allow(action: #""kms:ListKeys""#)), grants: [grant()], .grant("g1")),
    // Grants are ignored for actions that are not about one key
    .init("a grant never allows CreateKey", grants: [grant([.createKey])], action(.createKey), .implicitDeny),
    .init("a grant never allows ListRetirableGrants", grants: [grant([.listRetirableGrants])], action(.listRetirableGrants), .implicitDeny),
    .init("a grant never allows ExplainAccess", grants: [grant([.explainAccess])], action(.explainAccess), .implicitDeny),
]

@Suite struct DecisionTableTests {
    @Test(arguments: decisionCases)
    func decision(_ testCase: DecisionCase) throws {
        let keyPolicy = try testCase.keyPolicy.map(CompiledPolicy.compile)
        let serverPolicy = try testCase.serverPolicy.map(CompiledPolicy.compile)
        let grants = testCase.grants.map { $0.build() }
        let request = try testCase.request.build()
        let decision = PolicyEngine.decide(request, keyPolicy: keyPolicy, serverPolicy: serverPolicy, grants: grants)
        #expect(ExpectedDecision(decision) == testCase.expected)
        #expect(decision.isAllowed == testCase.expected.isAllowed)
        let explanation = PolicyEngine.explain(request, keyPolicy: keyPolicy, serverPolicy: serverPolicy, grants: grants)
        #expect(explanation.decision == decision)
    }
}
