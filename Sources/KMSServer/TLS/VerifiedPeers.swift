import KMSIdentity
import NIOCore
import Synchronization
import X509

/// The verified client certificate chain of every open connection, by the connection's
/// addresses, for the interceptors to find a call's caller; and the identity its leaf
/// certificate resolves to, resolved on the connection's first call and kept for the others.
///
/// gRPC's custom server transport gives a call its connection's peer strings
/// (`ServerContext.remotePeer`, `localPeer`) but no transport-specific context, so the
/// listener records each connection's chain here when its handshake completes and removes
/// it when the connection closes. While a connection is open no other connection has the
/// same pair of addresses, so a call cannot be given another connection's chain; a call
/// whose connection is gone finds nothing and is refused.
final class VerifiedPeers: Sendable {
    /// What a leaf certificate resolves to: a principal, or why it has none.
    typealias Resolve = @Sendable (Certificate) -> Result<CallerIdentity, InvalidIdentity>

    private let chains = Mutex<[String: Entry]>([:])
    private let resolve: Resolve

    private struct Entry {
        let connection: ObjectIdentifier
        let chain: [Certificate]
        /// What the leaf resolved to, once a call asked (``identity(remotePeer:localPeer:)``).
        var identity: Result<CallerIdentity, InvalidIdentity>?
    }

    /// Connections whose leaf certificates `resolver` maps to their callers.
    convenience init(resolver: IdentityResolver) {
        self.init { leaf in Result { () throws(InvalidIdentity) in try resolver.resolve(leaf) } }
    }

    /// Connections whose leaf certificates `resolve` maps to their callers.
    init(resolve: @escaping Resolve) {
        self.resolve = resolve
    }

    /// What `forget` needs to remove a connection's chain.
    struct Registration: Sendable {
        fileprivate let key: String
        fileprivate let connection: ObjectIdentifier
    }

    /// Records `chain` as the verified chain of `channel`'s connection.
    ///
    /// - Returns: the registration to forget when the connection closes; `nil` when the
    ///   channel has no IP addresses (it closed already).
    func record(_ chain: [Certificate], for channel: any Channel) -> Registration? {
        guard let key = Self.key(of: channel) else { return nil }
        let registration = Registration(key: key, connection: ObjectIdentifier(channel))
        chains.withLock { $0[key] = Entry(connection: registration.connection, chain: chain, identity: nil) }
        return registration
    }

    /// Forgets a connection's chain (not a later connection's with the same addresses).
    func forget(_ registration: Registration) {
        chains.withLock { chains in
            if chains[registration.key]?.connection == registration.connection { chains[registration.key] = nil }
        }
    }

    /// The identity of the leaf certificate of the connection with these peer strings, or why
    /// it has none: resolved on the connection's first call and kept with its
    /// chain, so later calls on the connection do not parse the certificate again. The
    /// certificate cannot change on an open connection (renegotiation is not offered), and
    /// the kept identity goes when the connection closes.
    ///
    /// - Returns: `nil` when no open connection has these peer strings.
    func identity(remotePeer: String, localPeer: String) -> Result<CallerIdentity, InvalidIdentity>? {
        let key = "\(remotePeer) \(localPeer)"
        guard let entry = chains.withLock({ $0[key] }) else { return nil }
        if let identity = entry.identity { return identity }
        guard let leaf = entry.chain.first else { return nil }
        let identity = resolve(leaf)
        chains.withLock { chains in
            if chains[key]?.connection == entry.connection { chains[key]?.identity = identity }
        }
        return identity
    }

    /// The number of connections with a recorded chain.
    var count: Int {
        chains.withLock { $0.count }
    }

    /// The key of `channel`: its peer strings.
    private static func key(of channel: any Channel) -> String? {
        peerStrings(of: channel).map { "\($0.remote) \($0.local)" }
    }

    /// The peer strings of `channel` as gRPC writes them (`ipv4:127.0.0.1:5000`,
    /// `ipv6:[::1]:5000`); `nil` when it has no IP addresses (it closed already).
    static func peerStrings(of channel: any Channel) -> (remote: String, local: String)? {
        guard let remote = channel.remoteAddress.flatMap(peerString), let local = channel.localAddress.flatMap(peerString) else {
            return nil
        }
        return (remote, local)
    }

    private static func peerString(_ address: SocketAddress) -> String? {
        switch address {
        case .v4(let ipv4): address.port.map { "ipv4:\(ipv4.host):\($0)" }
        case .v6(let ipv6): address.port.map { "ipv6:[\(ipv6.host)]:\($0)" }
        case .unixDomainSocket: nil
        }
    }
}
