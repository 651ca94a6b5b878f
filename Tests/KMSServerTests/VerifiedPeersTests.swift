import KMSDevPKI
import KMSIdentity
@testable import KMSServer
import NIOCore
import NIOEmbedded
import Synchronization
import Testing
import X509

/// A connection's identity is resolved on its first call and kept for its later calls, and
/// never outlives the connection: a later connection from the same addresses with another
/// certificate gets its own.
@Suite struct VerifiedPeersTests {
    static let remote = "ipv4:127.0.0.1:50000"
    static let local = "ipv4:127.0.0.1:8443"

    let authority: DevCertificateAuthority
    /// Counts the certificates `peers` resolved.
    final class Counter: Sendable {
        let value = Atomic(0)
    }

    let resolutions = Counter()
    let peers: VerifiedPeers

    init() throws {
        authority = try DevCertificateAuthority(commonName: "peers test CA")
        let resolver = IdentityResolver()
        let resolutions = self.resolutions
        peers = VerifiedPeers { leaf in
            resolutions.value.add(1, ordering: .relaxed)
            return Result { () throws(InvalidIdentity) in try resolver.resolve(leaf) }
        }
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

    private func principal() -> String? {
        guard case .success(let identity)? = peers.identity(remotePeer: Self.remote, localPeer: Self.local) else { return nil }
        return identity.principal.description
    }

    private var resolved: Int { resolutions.value.load(ordering: .relaxed) }

    @Test func theFirstCallResolvesAndLaterCallsOnTheConnectionReuseIt() throws {
        let registration = try #require(peers.record([try certificate("spiffe://test.example/a")], for: try connection()))
        #expect(resolved == 0, "recording a connection resolves nothing: health checks need no principal")
        for _ in 0..<5 { #expect(principal() == "spiffe://test.example/a") }
        #expect(resolved == 1)
        peers.forget(registration)
        #expect(peers.identity(remotePeer: Self.remote, localPeer: Self.local) == nil)
    }

    @Test func aLaterConnectionFromTheSameAddressesGetsItsOwnIdentity() throws {
        let first = try #require(peers.record([try certificate("spiffe://test.example/a")], for: try connection()))
        #expect(principal() == "spiffe://test.example/a")
        peers.forget(first)
        _ = try #require(peers.record([try certificate("spiffe://test.example/b")], for: try connection()))
        #expect(principal() == "spiffe://test.example/b")
        #expect(resolved == 2)
    }

    @Test func aRefusedIdentityIsKeptAsARefusal() throws {
        _ = try #require(peers.record([try certificate("spiffe://Test.Example/a")], for: try connection()))
        let first = peers.identity(remotePeer: Self.remote, localPeer: Self.local)
        guard case .failure(let refusal)? = first else {
            Issue.record("an invalid SPIFFE ID was given an identity: \(String(describing: first))")
            return
        }
        #expect(refusal.reason.contains("SPIFFE"))
        #expect(peers.identity(remotePeer: Self.remote, localPeer: Self.local) == first)
        #expect(resolved == 1)
    }

    @Test func aCallOnAnotherConnectionFindsNothing() throws {
        _ = try #require(peers.record([try certificate("spiffe://test.example/a")], for: try connection()))
        #expect(peers.identity(remotePeer: "ipv4:127.0.0.1:50001", localPeer: Self.local) == nil)
        #expect(resolved == 0)
    }
}
