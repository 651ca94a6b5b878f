import Foundation
import KMSCore
import KMSIdentity
import KMSTLS
import X509

/// Who a call is from when a trusted proxy (a mesh sidecar, nginx) forwarded it: the
/// client named by the last element of the `x-forwarded-client-cert` header (Envoy's
/// format), the one the proxy nearest to us added.
///
/// Only callers whose own certificate maps to a principal matching `identity.trusted_proxies`
/// are believed; from anyone else the header is ignored. The forwarded `Cert` (with `Chain`
/// when given) is verified exactly as a direct client certificate would be (trust-domain
/// bundles, CRLs, validity, key usage). Without `Cert`, the element's `URI`, `DNS` and
/// `Subject` name the client only when `identity.forwarded_names_without_certificate` is on.
struct ForwardedCallerResolver: Sendable {
    /// The header, in gRPC metadata's lower case.
    static let header = "x-forwarded-client-cert"

    private let proxies: [WildcardPattern]
    private let acceptNamesWithoutCertificate: Bool
    private let resolver: IdentityResolver
    private let verifier: @Sendable () -> ClientCertificateVerifier?

    init(
        proxies: ServerConfiguration.TrustedProxies,
        resolver: IdentityResolver,
        verifier: @escaping @Sendable () -> ClientCertificateVerifier?
    ) {
        self.proxies = proxies.principals.map { WildcardPattern($0) }
        self.acceptNamesWithoutCertificate = proxies.acceptNamesWithoutCertificate
        self.resolver = resolver
        self.verifier = verifier
    }

    /// Whether `principal` is a trusted proxy.
    func trusts(_ principal: Principal) -> Bool {
        proxies.contains { $0.matches(principal.description) }
    }

    /// The identity of the client that a trusted proxy's header names.
    ///
    /// - Parameter values: every value of the header in the call's metadata.
    /// - Throws: `InvalidIdentity` when the header is malformed or repeated, names no
    ///   usable client, or forwards a certificate that is not trusted.
    func client(named values: [String], at time: Date) async throws(InvalidIdentity) -> CallerIdentity {
        guard values.count == 1, let value = values.first else {
            throw InvalidIdentity(reason: "the trusted proxy sent \(Self.header) \(values.count) times")
        }
        let element: ForwardedClientCertificate
        do {
            guard let last = try ForwardedClientCertificate.parseHeader(value).last else {
                throw InvalidIdentity(reason: "the trusted proxy's \(Self.header) names no client")
            }
            element = last
        } catch let error as InvalidIdentity {
            throw error
        } catch {
            throw InvalidIdentity(reason: "the trusted proxy's \(Self.header) is malformed: \(error)")
        }
        if element.certificatePEM != nil || element.chainPEM != nil {
            return try await verifiedClient(element, at: time)
        }
        guard acceptNamesWithoutCertificate else {
            throw InvalidIdentity(
                reason: "the trusted proxy forwarded no client certificate (Cert) and identity.forwarded_names_without_certificate is off"
            )
        }
        guard element.subject != nil || !element.uris.isEmpty || !element.dnsNames.isEmpty else {
            throw InvalidIdentity(reason: "the trusted proxy's \(Self.header) names no client (no Cert, URI, DNS or Subject)")
        }
        return try resolver.resolveForwarded(subject: element.subject ?? "", uris: element.uris, dnsNames: element.dnsNames)
    }

    private func verifiedClient(_ element: ForwardedClientCertificate, at time: Date) async throws(InvalidIdentity) -> CallerIdentity {
        let chain: [Certificate]
        do {
            let certificate = try element.certificate()
            let rest = try element.chain()
            if let certificate {
                chain = [certificate] + rest.filter { $0 != certificate }
            } else {
                chain = rest
            }
        } catch {
            throw InvalidIdentity(reason: "the trusted proxy forwarded a client certificate that does not parse: \(error)")
        }
        guard let verifier = verifier() else {
            throw InvalidIdentity(reason: "no client trust is in force")
        }
        switch await verifier.verify(chain, at: time) {
        case .trusted(let validated):
            return try resolver.resolve(validated[0])
        case .refused(let reason):
            throw InvalidIdentity(reason: "the trusted proxy forwarded a client certificate that is not trusted: \(reason)")
        }
    }
}
