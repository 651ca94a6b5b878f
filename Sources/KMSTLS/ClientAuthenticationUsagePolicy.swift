import SwiftASN1
import X509

/// Refuses a leaf certificate whose extended key usage extension is present but allows
/// neither client authentication nor any usage (RFC 5280 §4.2.1.12).
struct ClientAuthenticationUsagePolicy: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.extendedKeyUsage]

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        let usages: ExtendedKeyUsage?
        do {
            usages = try chain.leaf.extensions.extendedKeyUsage
        } catch {
            return .failsToMeetPolicy(reason: "the client certificate's extended key usage extension is malformed")
        }
        guard let usages else { return .meetsPolicy }
        if usages.contains(.clientAuth) || usages.contains(.any) {
            return .meetsPolicy
        }
        return .failsToMeetPolicy(reason: "the client certificate's extended key usage does not include clientAuth")
    }
}
