import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import KMSCore
import KMSIdentity
import KMSService
import Logging

/// The caller of the RPC running in the current task, set by `CallerIdentityInterceptor`.
enum CurrentCall {
    @TaskLocal static var identity: CallerIdentity?
    /// Why the caller's verified certificate names no valid identity, when it does not
    /// (`identity` is `nil` then); `AuditInterceptor` refuses and records the call.
    @TaskLocal static var identityRejection: InvalidIdentity?
    /// The trusted proxy that forwarded the call, when one did (`identity` is then the
    /// client the proxy names).
    @TaskLocal static var proxy: Principal?
    @TaskLocal static var sourceIP: String?
    /// Where the service notes what the call's audit record needs; set by `AuditInterceptor`.
    @TaskLocal static var audit: AuditFacts?

    /// The request context for the service layer.
    ///
    /// - Throws: `unauthenticated` when no interceptor resolved a caller (cannot happen
    ///   over mutual TLS, where the handshake requires a certificate).
    static func requestContext() throws -> RequestContext {
        guard let identity else {
            throw RPCError(code: .unauthenticated, message: "the caller presented no client certificate")
        }
        return RequestContext(principal: identity.principal, sourceIP: sourceIP, audit: audit ?? AuditFacts())
    }
}

/// Finds the caller's principal from the verified client certificate (resolved once per
/// connection, see `VerifiedPeers.identity`) and makes it available to handlers through
/// `CurrentCall`; a certificate that names no
/// valid identity leaves `CurrentCall.identityRejection` instead, for `AuditInterceptor` to
/// refuse and record. A call from a trusted proxy that carries `x-forwarded-client-cert`
/// is the call of the client the header names (see `ForwardedCallerResolver`), with the
/// proxy in `CurrentCall.proxy`.
struct CallerIdentityInterceptor: ServerInterceptor {
    /// Which connection a call came on.
    enum Connection: Sendable {
        /// The call's own: the gRPC listener's connection (`ServerContext`'s peers).
        case transport
        /// The TLS connection of the AWS-compatible endpoint that made this in-process call,
        /// named by the endpoint in `inProcessPeersKey`. Only for the in-process server,
        /// which nothing outside the process can reach.
        case namedByInProcessCaller
    }

    /// The metadata key in which the AWS-compatible endpoint names the peers of the TLS
    /// connection a request came on ("REMOTE LOCAL", as gRPC writes peers).
    static let inProcessPeersKey = "kms-in-process-peers"

    let forwarded: ForwardedCallerResolver
    let peers: VerifiedPeers
    let connection: Connection
    let logger: Logger

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let (remotePeer, localPeer) = connectionPeers(of: request.metadata, context: context)
        guard let resolved = peers.identity(remotePeer: remotePeer, localPeer: localPeer) else {
            throw RPCError(code: .unauthenticated, message: "a client certificate is required")
        }
        var identity: CallerIdentity?
        var rejection: InvalidIdentity?
        var proxy: Principal?
        do {
            let caller = try resolved.get()
            identity = caller
            let header = Array(request.metadata[stringValues: ForwardedCallerResolver.header])
            if !header.isEmpty, forwarded.trusts(caller.principal) {
                proxy = caller.principal
                identity = nil
                identity = try await forwarded.client(named: header, at: Date())
            }
        } catch {
            rejection = error
            logger.warning("refused a call whose caller has no valid identity", metadata: [
                "reason": "\(error.reason)", "peer": "\(context.remotePeer)",
                "proxy": "\(proxy?.description ?? "")",
            ])
        }
        return try await CurrentCall.$identity.withValue(identity) {
            try await CurrentCall.$identityRejection.withValue(rejection) {
                try await CurrentCall.$proxy.withValue(proxy) {
                    try await CurrentCall.$sourceIP.withValue(PeerAddress.ip(of: remotePeer)) {
                        try await next(request, context)
                    }
                }
            }
        }
    }
}

extension CallerIdentityInterceptor {
    /// The peer strings of the TLS connection the call came on.
    private func connectionPeers(of metadata: Metadata, context: ServerContext) -> (remote: String, local: String) {
        switch connection {
        case .transport:
            return (context.remotePeer, context.localPeer)
        case .namedByInProcessCaller:
            let named = metadata[stringValues: Self.inProcessPeersKey].first(where: { _ in true }) ?? ""
            let parts = named.split(separator: " ", maxSplits: 1).map(String.init)
            return parts.count == 2 ? (parts[0], parts[1]) : ("", "")
        }
    }
}

/// Reads the IP address out of gRPC's peer strings (`ipv4:127.0.0.1:5000`, `ipv6:[::1]:5000`).
enum PeerAddress {
    static func ip(of peer: String) -> String? {
        if peer.hasPrefix("ipv4:") {
            let rest = peer.dropFirst(5)
            return rest.lastIndex(of: ":").map { String(rest[..<$0]) } ?? String(rest)
        }
        if peer.hasPrefix("ipv6:") {
            let rest = peer.dropFirst(5)
            guard rest.first == "[", let close = rest.firstIndex(of: "]") else { return String(rest) }
            return String(rest[rest.index(after: rest.startIndex)..<close])
        }
        return nil
    }
}
