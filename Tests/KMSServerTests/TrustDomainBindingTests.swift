import Foundation
import KMSClient
import KMSDevPKI
import Testing

/// With `tls.spiffe_trust_bundles`, a SPIFFE ID in trust domain T is accepted only from a
/// certificate that chains to T's bundle: no CA may speak for another trust domain, and a
/// trust domain without a bundle is refused. Certificates without a SPIFFE ID chain to
/// `tls.client_ca`.
@Suite struct TrustDomainBindingTests {
    /// A world whose server binds `prod.example` and `partner.example` to their own CAs,
    /// with the PKI's CA as `client_ca`.
    struct BoundWorld {
        let world: ListenerTestWorld
        let server: ListenerTestServer
        let prod: DevCertificateAuthority
        let partner: DevCertificateAuthority

        /// A client certificate from `issuer`, with `spiffeID` when given.
        func client(_ name: String, from issuer: Issuer, spiffeID: String? = nil, organization: String? = nil) throws -> ClientCredentials {
            let authority: DevCertificateAuthority
            switch issuer {
            case .prod: authority = prod
            case .partner: authority = partner
            case .clientCA: authority = world.pki.authority
            }
            return try world.pki.client(name, spiffeIDs: spiffeID.map { [$0] } ?? [], organization: organization, issuer: authority)
        }
    }

    /// The CAs a client certificate can come from.
    enum Issuer: String, CaseIterable, Sendable {
        case prod
        case partner
        case clientCA
    }

    private func withBoundWorld(_ body: (BoundWorld) async throws -> Void) async throws {
        try await withListenerTestWorld { world in
            let prod = try DevCertificateAuthority(commonName: "prod.example CA")
            let partner = try DevCertificateAuthority(commonName: "partner.example CA")
            let prodBundle = try world.write("prod-bundle.pem", prod.certificatePEM)
            let partnerBundle = try world.write("partner-bundle.pem", partner.certificatePEM)
            let server = try await world.start { configuration in
                configuration.tls.spiffeTrustBundles = ["prod.example": prodBundle.path, "partner.example": partnerBundle.path]
            }
            try await body(BoundWorld(world: world, server: server, prod: prod, partner: partner))
        }
    }

    @Test func aClientOfTheProdBundleIsAcceptedAsItsSPIFFEID() async throws {
        try await withBoundWorld { bound in
            let id = "spiffe://prod.example/ns/payments/sa/api"
            let client = try bound.client("prod-api", from: .prod, spiffeID: id)
            #expect(await bound.server.admission(of: client) == .accepted(principal: id))
            let partnerID = "spiffe://partner.example/ns/billing"
            let partnerClient = try bound.client("partner-billing", from: .partner, spiffeID: partnerID)
            #expect(await bound.server.admission(of: partnerClient) == .accepted(principal: partnerID))
        }
    }

    /// Cross-trust-domain impersonation: a CA trusted for something else claims prod.example.
    @Test(arguments: [Issuer.partner, Issuer.clientCA])
    func aProdSPIFFEIDFromAnotherCAIsRefused(issuer: Issuer) async throws {
        try await withBoundWorld { bound in
            let impostor = try bound.client("impostor-\(issuer)", from: issuer, spiffeID: "spiffe://prod.example/admin")
            #expect(await bound.server.admission(of: impostor) == .refused(.unavailable))
            #expect(bound.server.log.contains(level: .warning, "refused a client certificate"))
        }
    }

    @Test(arguments: Issuer.allCases)
    func aSPIFFEIDOfAnUnlistedTrustDomainIsRefused(issuer: Issuer) async throws {
        try await withBoundWorld { bound in
            let client = try bound.client("unlisted-\(issuer)", from: issuer, spiffeID: "spiffe://other.example/ns/x")
            #expect(await bound.server.admission(of: client) == .refused(.unavailable))
            #expect(bound.server.log.contains(level: .warning, "no trust bundle", "other.example"))
        }
    }

    @Test func aCertificateWithoutSPIFFEIDChainsToTheClientCAOnly() async throws {
        try await withBoundWorld { bound in
            let legacy = try bound.client("legacy", from: .clientCA, organization: "Example")
            #expect(await bound.server.admission(of: legacy) == .accepted(principal: "CN=legacy,O=Example"))
            let prodWithoutID = try bound.client("prod-no-id", from: .prod, organization: "Example")
            #expect(await bound.server.admission(of: prodWithoutID) == .refused(.unavailable))
            let partnerWithoutID = try bound.client("partner-no-id", from: .partner, organization: "Example")
            #expect(await bound.server.admission(of: partnerWithoutID) == .refused(.unavailable))
        }
    }

    /// Pins the behaviour without `spiffe_trust_bundles`: any CA in `client_ca` may assert
    /// any trust domain (the configuration that binds trust domains is opt-in).
    @Test func withoutTrustBundlesAnyClientCAMayAssertAnyTrustDomain() async throws {
        try await withListenerTestWorld { world in
            let other = try DevCertificateAuthority(commonName: "second client CA")
            try world.replace(world.clientCAFile, with: world.pki.authority.certificatePEM + other.certificatePEM)
            let server = try await world.start()
            let fromTestCA = try world.pki.client("prod-admin", spiffeIDs: ["spiffe://prod.example/admin"])
            #expect(await server.admission(of: fromTestCA) == .accepted(principal: "spiffe://prod.example/admin"))
            let fromOtherCA = try world.pki.client("partner-admin", spiffeIDs: ["spiffe://partner.example/admin"], issuer: other)
            #expect(await server.admission(of: fromOtherCA) == .accepted(principal: "spiffe://partner.example/admin"))
            let stranger = try DevCertificateAuthority(commonName: "stranger CA")
            let fromStranger = try world.pki.client("stranger", spiffeIDs: ["spiffe://prod.example/admin"], issuer: stranger)
            #expect(await server.admission(of: fromStranger) == .refused(.unavailable))
        }
    }
}
