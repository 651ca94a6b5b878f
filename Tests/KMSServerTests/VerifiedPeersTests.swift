import KMSDevPKI
import KMSIdentity
@testable import KMSServer
import NIOCore
import NIOEmbedded
import Testing
import X509

/// A connection's identity is resolved on its first call and kept for its later calls, and
/// never outlives the connection: a later connection from the same addresses with another
/// certificate gets its own.
@Suite struct VerifiedPeersTests {
    static let remote = "ipv4:127.0.0.1:50000"
    static let local = "ipv4:127.0.0.1:8443"

    let authority: DevCertificateAuthority
    let peers = VerifiedPeers()
    let plainResolver = IdentityResolver()
    /// Maps every certificate of the test to `renamed`: a resolver that would answer
    /// otherwise if it were asked again.
    let renamingResolver: IdentityResolver

    init() throws {
        authority = try DevCertificateAuthority(commonName: "peers test CA")
        renamingResolver = IdentityResolver(rules: [try IdentityRule(.uriSAN("spiffe://test.example/*"), principal: "renamed")])
    }

    private func certificate(_ spiffeID: String) throws -> Certificate {
        try authority.issueClient(ClientCertificateRequest(commonName: "c", spiffeIDs: [spiffeID])).certificate
    }

    private func connection() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        channel.remoteAddress = try SocketAddress.makeAddressResolvingHost("127.0.0.1", port: 50000)
        channel.localAddress = try SocketAddress.makeAddressResolvingHost("127.0.0.1", port: 8443)
        return channel
    }

    private func principal(_ resolver: IdentityResolver) -> String? {
        guard case .success(let identity)? = peers.identity(remotePeer: Self.remote, localPeer: Self.local, resolver: resolver) else {
            return nil
        }
        return identity.principal.description
    }

    @Test func theFirstCallResolvesAndLaterCallsOnTheConnectionReuseIt() throws {
        let registration = try #require(peers.record([try certificate("spiffe://test.example/a")], for: try connection()))
        #expect(principal(plainResolver) == "spiffe://test.example/a")
        // Asked again with a resolver that would answer otherwise: the kept identity comes back.
        #expect(principal(renamingResolver) == "spiffe://test.example/a")
        peers.forget(registration)
        #expect(peers.identity(remotePeer: Self.remote, localPeer: Self.local, resolver: plainResolver) == nil)
    }

    @Test func aLaterConnectionFromTheSameAddressesGetsItsOwnIdentity() throws {
        let first = try #require(peers.record([try certificate("spiffe://test.example/a")], for: try connection()))
        #expect(principal(plainResolver) == "spiffe://test.example/a")
        peers.forget(first)
        _ = try #require(peers.record([try certificate("spiffe://test.example/b")], for: try connection()))
        #expect(principal(plainResolver) == "spiffe://test.example/b")
    }

    @Test func aRefusedIdentityIsKeptAsARefusal() throws {
        _ = try #require(peers.record([try certificate("spiffe://Test.Example/a")], for: try connection()))
        let first = peers.identity(remotePeer: Self.remote, localPeer: Self.local, resolver: plainResolver)
        guard case .failure(let refusal)? = first else {
            Issue.record("an invalid SPIFFE ID was given an identity: \(String(describing: first))")
            return
        }
        #expect(refusal.reason.contains("SPIFFE"))
        // A resolver whose rule would name it cannot rescue it on a later call either.
        #expect(peers.identity(remotePeer: Self.remote, localPeer: Self.local, resolver: renamingResolver) == first)
    }

    @Test func aCallOnAnotherConnectionFindsNothing() throws {
        _ = try #require(peers.record([try certificate("spiffe://test.example/a")], for: try connection()))
        #expect(peers.identity(remotePeer: "ipv4:127.0.0.1:50001", localPeer: Self.local, resolver: plainResolver) == nil)
    }
}
