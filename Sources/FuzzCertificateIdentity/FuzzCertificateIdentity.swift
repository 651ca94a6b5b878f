import FuzzSupport
import KMSCore
import KMSIdentity
import X509

// Fuzz target: identity from a client certificate (docs/IDENTITY.md), as the identity
// interceptor maps the leaf of a verified chain to a principal.
//
// Properties, for any bytes:
// - `Certificate(derEncoded:)`, `IdentityResolver.resolve` (with no rules and with rules of
//   every kind) and `SPIFFEID.claimed(by:)` never crash;
// - a resolved principal is never empty;
// - the resolver and `claimed(by:)` agree: a certificate the claim refuses gets no principal
//   from any resolver (no rule can name it), and without rules the principal is the claimed
//   SPIFFE ID, else the subject DN;
// - a claimed SPIFFE ID survives its text form (`SPIFFEID(parsing: id.description) == id`).

private let plain = IdentityResolver()
private let withRules = IdentityResolver(rules: [
    try! IdentityRule(.uriSAN("spiffe://prod.example/ns/*"), principal: "rule:uri"),
    try! IdentityRule(.dnsSAN("*.example"), principal: "rule:dns"),
    try! IdentityRule(.subject("CN=*"), principal: "rule:subject"),
])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCertificateIdentity(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    guard let certificate = try? Certificate(derEncoded: Fuzz.bytes(data, size)) else { return 0 }

    let claimed: Result<SPIFFEID?, InvalidIdentity>
    do {
        claimed = .success(try SPIFFEID.claimed(by: certificate))
    } catch {
        claimed = .failure(error)
    }
    if case .success(let id?) = claimed {
        let again = try? SPIFFEID(parsing: id.description)
        Fuzz.require(again == id, "SPIFFE ID \(id) does not survive its text form")
    }

    for resolver in [plain, withRules] {
        let identity: CallerIdentity
        do {
            identity = try resolver.resolve(certificate)
        } catch {
            if case .success = claimed, resolver.rules.isEmpty {
                // Without rules, resolve refuses only for the claim's reasons, or for no name at all.
                Fuzz.require(error.certificateSubject.isEmpty,
                             "resolve refused a certificate whose claim is fine: \(error)")
            }
            continue
        }
        Fuzz.require(!identity.principal.name.isEmpty, "a certificate resolved to the empty principal")
        switch claimed {
        case .failure(let error):
            Fuzz.fail("a certificate whose SPIFFE claim is refused (\(error)) got the principal \(identity.principal)")
        case .success(let id?) where resolver.rules.isEmpty:
            Fuzz.require(identity.principal.name == id.description, "principal \(identity.principal) is not the SPIFFE ID \(id)")
        case .success(nil) where resolver.rules.isEmpty:
            Fuzz.require(identity.principal.name == identity.certificateSubject,
                         "principal \(identity.principal) is not the subject \(identity.certificateSubject)")
        case .success:
            break
        }
    }
    return 0
}
