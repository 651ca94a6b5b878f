import Foundation
import KMSClient
import KMSDevPKI
import Testing

/// A client certificate must be meant for client authentication (its extended key usage,
/// when present, includes clientAuth) and valid now: not expired, and not valid only later.
@Suite struct ClientCertificateUsageTests {
    @Test func aServerAuthOnlyCertificateIsRefusedAsAClientCertificate() async throws {
        try await withListenerTestWorld { world in
            let server = try await world.start()
            // A server certificate of the trusted CA: it chains, but is not for clients.
            let serverCertificate = try world.pki.authority.issueServer(hostnames: ["impostor.example"], ipAddresses: [])
            let credentials = try clientCredentials(serverCertificate, named: "server-as-client", in: world.pki)
            #expect(await server.admission(of: credentials) == .refused(.unavailable))
            #expect(await listenerPoll(within: .seconds(2)) {
                server.log.contains(level: .warning, "refused a client certificate", "clientAuth")
            }, "\(server.log.lines)")
        }
    }

    @Test func anSVIDForServerAndClientAuthIsAccepted() async throws {
        try await withListenerTestWorld { world in
            let server = try await world.start()
            let svid = try world.pki.authority.issueSVID(spiffeID: "spiffe://test.example/ns/svid")
            let credentials = try clientCredentials(svid, named: "svid", in: world.pki)
            #expect(await server.admission(of: credentials) == .accepted(principal: "spiffe://test.example/ns/svid"))
        }
    }

    @Test func aNotYetValidClientCertificateIsRefused() async throws {
        try await withListenerTestWorld { world in
            let server = try await world.start()
            let future = try world.pki.client(
                "future",
                spiffeIDs: [TestPKI.appID],
                notValidAfter: Date().addingTimeInterval(2 * 86_400),
                notValidBefore: Date().addingTimeInterval(3600)
            )
            #expect(await server.admission(of: future) == .refused(.unavailable))
            #expect(await listenerPoll(within: .seconds(2)) {
                server.log.contains(level: .warning, "refused a client certificate", "not yet valid")
            }, "\(server.log.lines)")
        }
    }

    @Test func aValidClientCertificateIsAccepted() async throws {
        try await withListenerTestWorld { world in
            let server = try await world.start()
            let valid = try world.pki.client(
                "valid",
                spiffeIDs: [TestPKI.appID],
                notValidAfter: Date().addingTimeInterval(86_400),
                notValidBefore: Date().addingTimeInterval(-60)
            )
            #expect(await server.admission(of: valid) == .accepted(principal: TestPKI.appID))
        }
    }
}
