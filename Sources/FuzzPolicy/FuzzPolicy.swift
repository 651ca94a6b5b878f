import Foundation
import FuzzSupport
import KMSCore
import KMSPolicy

// Fuzz target: policy documents (docs/POLICY.md), as PutKeyPolicy, CreateKey and the
// server configuration hand them to `CompiledPolicy.compile`.
//
// Properties, for any text:
// - `CompiledPolicy.compile` never crashes, and fails only with `malformedPolicy` or
//   `limitExceeded`;
// - for a policy that compiles, `PolicyEngine.decide` (which visits only the statements
//   indexed under the request's action and stops at the first that decides) and
//   `PolicyEngine.explain` (which evaluates every statement) reach the same decision, for a
//   fixed set of requests, with the policy as key policy, as server policy and as both;
// - every statement `explain` reports belongs to the policy (index < statement count), and a
//   decision names a statement that `explain` says applies;
// - the same document given as an object graph (`compile(jsonObject:)`, the path of a YAML
//   `server_policy`) compiles too and decides every fixed request the same way.

private let now = Date(timeIntervalSince1970: 1_795_000_000)
private let keyID = KeyID(string: "1b4e28ba-2fa1-41d2-883f-0016d3cca427")!
private let otherKeyID = KeyID(string: "9f0e1d2c-3b4a-4596-8877-665544332211")!
private let worker = Principal("spiffe://prod.example/ns/payments/sa/worker")
private let api = Principal("spiffe://prod.example/ns/payments/sa/api")
private let legacy = Principal("CN=legacy-app,O=Example")
private let admin = Principal("spiffe://test.example/admin")

private func context(_ pairs: [String: String]) -> EncryptionContext {
    (try? EncryptionContext(pairs)) ?? .empty
}

/// Requests that reach the different parts of a policy: principals of both kinds, key and
/// server actions, conditions on context, source address, alias, grants and time.
private let requests: [AccessRequest] = [
    AccessRequest(principal: worker, action: .encrypt, keyID: keyID, keySpec: .symmetricDefault, keyUsage: .encryptDecrypt,
                  encryptionContext: context(["tenant": "acme", "order-id": "7"]), sourceIP: "10.2.3.4", currentTime: now),
    AccessRequest(principal: worker, action: .decrypt, keyID: keyID, keySpec: .symmetricDefault, keyUsage: .encryptDecrypt,
                  encryptionContext: context(["tenant": "dev-1", "purpose": "settlement"]), sourceIP: "203.0.113.5",
                  requestAlias: "alias/payments", currentTime: now),
    AccessRequest(principal: api, action: .generateDataKey, keyID: keyID, encryptionContext: context(["tenant": "acme"]),
                  sourceIP: "fd00::17", currentTime: now.addingTimeInterval(86_400 * 400)),
    AccessRequest(principal: legacy, action: .reEncryptFrom, keyID: otherKeyID, sourceIP: "not an address", currentTime: now),
    AccessRequest(principal: admin, action: .createKey, currentTime: now),
    AccessRequest(principal: admin, action: .listKeys, sourceIP: "192.0.2.1", currentTime: now),
    AccessRequest(principal: admin, action: .putKeyPolicy, keyID: keyID, currentTime: now),
    AccessRequest(principal: worker, action: .createGrant, keyID: keyID, grantOperations: ["Encrypt", "Decrypt"],
                  granteePrincipal: api, currentTime: now),
    AccessRequest(principal: api, action: .sign, keyID: keyID, keySpec: .eccNistP256, keyUsage: .signVerify, currentTime: now),
    AccessRequest(principal: Principal(""), action: .scheduleKeyDeletion, keyID: keyID, currentTime: now),
    AccessRequest(principal: worker, action: .explainAccess, currentTime: now.addingTimeInterval(-86_400 * 4000)),
]

private let grants = [
    Grant(grantID: "grant-1", keyID: keyID, name: nil, creationDate: now, granteePrincipal: api, retiringPrincipal: nil,
          issuingPrincipal: worker, operations: [.generateDataKey, .sign],
          constraints: GrantConstraints(encryptionContextSubset: ["tenant": "acme"]), token: "t1"),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPolicy(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
    let policy: CompiledPolicy
    do {
        policy = try CompiledPolicy.compile(text)
    } catch {
        Fuzz.require(error.code == .malformedPolicy || error.code == .limitExceeded, "compile failed with \(error.code)")
        return 0
    }
    let decisions = checkDecideMatchesExplain(policy)

    // The same document as an object graph, as a YAML server_policy arrives.
    guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) else {
        return 0
    }
    do {
        let fromObject = try CompiledPolicy.compile(jsonObject: object)
        Fuzz.require(fromObject.statementCount == policy.statementCount,
                     "as an object graph the policy has \(fromObject.statementCount) statements, not \(policy.statementCount)")
        let objectDecisions = checkDecideMatchesExplain(fromObject)
        Fuzz.require(objectDecisions == decisions, "as an object graph the policy decides differently:\n\(objectDecisions)\nnot\n\(decisions)")
    } catch {
        Fuzz.require(error.code == .limitExceeded, "the policy compiles from text but not as an object graph: \(error)")
    }
    return 0
}

/// Decides every fixed request with the policy as key policy, server policy and both; checks
/// `decide` against `explain` and returns the decisions.
private func checkDecideMatchesExplain(_ policy: CompiledPolicy) -> [AccessDecision] {
    var decisions: [AccessDecision] = []
    for request in requests {
        for (key, server) in [(policy, nil), (nil, policy), (policy, policy)] as [(CompiledPolicy?, CompiledPolicy?)] {
            let decision = PolicyEngine.decide(request, keyPolicy: key, serverPolicy: server, grants: grants)
            let explanation = PolicyEngine.explain(request, keyPolicy: key, serverPolicy: server, grants: grants)
            Fuzz.require(decision == explanation.decision,
                         "decide says \(decision), explain says \(explanation.decision) for \(request.action) by \(request.principal)")
            for statement in explanation.statements {
                Fuzz.require(statement.reference.index < policy.statementCount,
                             "explain names statement \(statement.reference.index) of \(policy.statementCount)")
            }
            switch decision {
            case .allowed(let reference), .explicitDeny(let reference):
                Fuzz.require(explanation.statements.contains { $0.reference == reference && $0.applies },
                             "the decision names \(reference), which explain does not show applying")
            case .allowedByGrant, .implicitDeny:
                break
            }
            decisions.append(decision)
        }
    }
    return decisions
}
