import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import KMSClient
import KMSDevPKI
import KMSProto
import Testing

/// A client that the mutual-TLS handshake must refuse gets no RPC through.
@Suite struct TLSRefusalTests {
    /// Calls GetCallerIdentity (allowed to any authenticated caller) over `transport`.
    private func callerIdentity(over transport: HTTP2ClientTransport.Posix) async -> RPCFailure? {
        await failure {
            try await withGRPCClient(transport: transport) { client in
                var options = CallOptions.defaults
                options.timeout = .seconds(10)
                return try await KMSServiceClient(wrapping: client).getCallerIdentity(Kms_V1_GetCallerIdentityRequest(), options: options)
            }
        }
    }

    @Test func aTrustedClientGetsThrough() async throws {
        try await withWorld { world in
            let transport = try KMSConnection.transport(target: world.server.target, credentials: world.app)
            #expect(await callerIdentity(over: transport) == nil)
        }
    }

    @Test func aClientWithoutCertificateIsRefused() async throws {
        try await withWorld { world in
            let transport: HTTP2ClientTransport.Posix = try .http2NIOPosix(
                target: .ipv4(address: "127.0.0.1", port: world.server.port),
                transportSecurity: .tls { $0.trustRoots = .certificates([.file(path: world.pki.caCertificate.path, format: .pem)]) }
            )
            let result = await callerIdentity(over: transport)
            #expect(result?.code == .unavailable)
        }
    }

    @Test func aClientFromAnotherCAIsRefused() async throws {
        try await withWorld { world in
            let stranger = try DevCertificateAuthority(commonName: "other CA")
            let credentials = try world.pki.client("intruder", spiffeIDs: [TestPKI.adminID], issuer: stranger)
            let transport = try KMSConnection.transport(target: world.server.target, credentials: credentials)
            #expect(await callerIdentity(over: transport)?.code == .unavailable)
        }
    }

    @Test func anExpiredClientCertificateIsRefused() async throws {
        try await withWorld { world in
            let credentials = try world.pki.client(
                "expired",
                spiffeIDs: [TestPKI.adminID],
                notValidAfter: Date().addingTimeInterval(-60),
                notValidBefore: Date().addingTimeInterval(-86_400)
            )
            let transport = try KMSConnection.transport(target: world.server.target, credentials: credentials)
            #expect(await callerIdentity(over: transport)?.code == .unavailable)
        }
    }
}
