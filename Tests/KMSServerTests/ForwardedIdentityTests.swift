import Foundation
import GRPCCore
import KMSAudit
import KMSClient
import KMSDevPKI
import KMSProto
import KMSServer
import Testing

/// `identity.trusted_proxies`: a call from a trusted proxy that carries
/// `x-forwarded-client-cert` is the call of the client the header names; from anyone else
/// the header is ignored.
@Suite struct ForwardedIdentityTests {
    static let proxyID = "spiffe://test.example/mesh/proxy"

    /// A world whose server trusts `proxyID` as a proxy.
    private func withProxyWorld(
        namesWithoutCertificate: Bool = false,
        _ body: (TestWorld, ClientCredentials) async throws -> Void
    ) async throws {
        try await withWorld { world in
            await world.server.stop()
            var configuration = world.server.configuration
            configuration.trustedProxies = .init(principals: ["spiffe://test.example/mesh/*"], acceptNamesWithoutCertificate: namesWithoutCertificate)
            world.server = try await TestServer.start(configuration)
            let proxy = try world.pki.client("proxy", spiffeIDs: [Self.proxyID])
            try await body(world, proxy)
        }
    }

    /// Envoy's `Cert` value: the PEM, percent-encoded (as nginx's `$ssl_client_escaped_cert`).
    private func header(forwarding credentials: ClientCredentials) throws -> String {
        let pem = try String(contentsOfFile: credentials.certificatePath, encoding: .utf8)
        let encoded = try #require(pem.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
        return "By=spiffe://test.example/kms;Hash=00ff;Cert=\"\(encoded)\";URI=spiffe://ignored.example/x"
    }

    /// GetCallerIdentity as `credentials`, with `forwarded` as the header when given.
    private func principal(
        _ world: TestWorld, as credentials: ClientCredentials, forwarded: String? = nil
    ) async -> Traced<Kms_V1_GetCallerIdentityResponse> {
        var metadata = Metadata()
        if let forwarded { metadata.addString(forwarded, forKey: "x-forwarded-client-cert") }
        return await traced(Kms_V1_GetCallerIdentityResponse.self) { handle in
            try await world.server.withClient(credentials) { client in
                try await client.getCallerIdentity(request: ClientRequest(message: .init(), metadata: metadata), onResponse: handle)
            }
        }
    }

    @Test func aTrustedProxyForwardsItsClientsCertificateAndTheAuditNamesBoth() async throws {
        try await withProxyWorld { world, proxy in
            let call = await principal(world, as: proxy, forwarded: try header(forwarding: world.app))
            #expect(call.principal == TestPKI.appID)
            let record = try world.onlyAuditRecord(requestID: call.requestID)
            #expect(record.principal == TestPKI.appID)
            #expect(record.proxy == Self.proxyID)
        }
    }

    @Test func theLastElementIsTheOneTheNearestProxyAdded() async throws {
        try await withProxyWorld { world, proxy in
            let chained = "\(try header(forwarding: world.admin)),\(try header(forwarding: world.app))"
            let call = await principal(world, as: proxy, forwarded: chained)
            #expect(call.principal == TestPKI.appID)
        }
    }

    @Test func aForgedHeaderFromACallerThatIsNoProxyIsIgnored() async throws {
        try await withProxyWorld { world, _ in
            let forged = try header(forwarding: world.admin)
            let call = await principal(world, as: world.app, forwarded: forged)
            #expect(call.principal == TestPKI.appID)
            #expect(try world.onlyAuditRecord(requestID: call.requestID).proxy == nil)
            // The forger stays itself: an admin-only action is denied.
            var metadata = Metadata()
            metadata.addString(forged, forKey: "x-forwarded-client-cert")
            let listing = await failure {
                try await world.server.withClient(world.app) { client in
                    try await client.listKeys(request: ClientRequest(message: .init(), metadata: metadata))
                }
            }
            #expect(listing == RPCFailure(code: .permissionDenied, reason: "ACCESS_DENIED"))
        }
    }

    @Test func aProxyCallWithoutTheHeaderIsTheProxysOwn() async throws {
        try await withProxyWorld { world, proxy in
            let call = await principal(world, as: proxy)
            #expect(call.principal == Self.proxyID)
        }
    }

    @Test func aForwardedCertificateIsVerifiedLikeADirectOne() async throws {
        try await withProxyWorld { world, proxy in
            let stranger = try DevCertificateAuthority(commonName: "CA only the proxy trusts")
            let outsider = try world.pki.client("outsider", spiffeIDs: [TestPKI.adminID], issuer: stranger)
            let expired = try world.pki.client(
                "expired", spiffeIDs: [TestPKI.appID],
                notValidAfter: Date().addingTimeInterval(-60), notValidBefore: Date().addingTimeInterval(-86_400)
            )
            for refused in [outsider, expired] {
                let call = await principal(world, as: proxy, forwarded: try header(forwarding: refused))
                #expect(call.failure == RPCFailure(code: .unauthenticated, reason: "INVALID_IDENTITY"))
                let record = try world.onlyAuditRecord(requestID: call.requestID)
                #expect(record.principal == "")
                #expect(record.proxy == Self.proxyID)
                #expect(record.reason == "INVALID_IDENTITY")
            }
        }
    }

    @Test func malformedOrRepeatedHeadersFromAProxyAreRefused() async throws {
        try await withProxyWorld { world, proxy in
            for bad in ["Cert=\"unterminated", "Hash=1;Hash=2", "Cert=%ZZ", ""] {
                let call = await principal(world, as: proxy, forwarded: bad)
                #expect(call.failure == RPCFailure(code: .unauthenticated, reason: "INVALID_IDENTITY"), "header \(bad)")
            }
        }
    }

    @Test func namesWithoutCertificateNeedTheSetting() async throws {
        let namesOnly = "By=spiffe://test.example/kms;URI=\(TestPKI.adminID)"
        try await withProxyWorld(namesWithoutCertificate: false) { world, proxy in
            let call = await principal(world, as: proxy, forwarded: namesOnly)
            #expect(call.failure == RPCFailure(code: .unauthenticated, reason: "INVALID_IDENTITY"))
        }
        try await withProxyWorld(namesWithoutCertificate: true) { world, proxy in
            let named = await principal(world, as: proxy, forwarded: namesOnly)
            #expect(named.principal == TestPKI.adminID)
            let invalid = "URI=spiffe://Test.Example/admin"
            let call = await principal(world, as: proxy, forwarded: invalid)
            #expect(call.failure == RPCFailure(code: .unauthenticated, reason: "INVALID_IDENTITY"))
            let subjectOnly = "Subject=\"CN=legacy-app,O=Example\""
            let bySubject = await principal(world, as: proxy, forwarded: subjectOnly)
            #expect(bySubject.principal == "CN=legacy-app,O=Example")
        }
    }
}

extension Traced where Value == Kms_V1_GetCallerIdentityResponse {
    /// The principal the server saw; `nil` when the call failed.
    var principal: String? {
        try? result.get().principal
    }
}

extension Traced {
    /// The failure's code and ErrorInfo reason; `nil` when the call succeeded.
    var failure: RPCFailure? {
        guard case .failure(let error) = result else { return nil }
        return RPCFailure(error)
    }
}
