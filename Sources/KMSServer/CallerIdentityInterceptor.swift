import GRPCCore
import GRPCNIOTransportHTTP2
import KMSCore
import KMSIdentity
import KMSService

/// The caller of the RPC running in the current task, set by `CallerIdentityInterceptor`.
enum CurrentCall {
    @TaskLocal static var identity: CallerIdentity?
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

/// Resolves the caller's principal from the verified client certificate once per RPC
/// and makes it available to handlers through `CurrentCall`.
struct CallerIdentityInterceptor: ServerInterceptor {
    let resolver: IdentityResolver

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        guard let transport = context.transportSpecific as? HTTP2ServerTransport.Posix.Context,
              let certificate = transport.peerCertificate
        else {
            throw RPCError(code: .unauthenticated, message: "a client certificate is required")
        }
        let identity = resolver.resolve(certificate)
        return try await CurrentCall.$identity.withValue(identity) {
            try await CurrentCall.$sourceIP.withValue(PeerAddress.ip(of: context.remotePeer)) {
                try await next(request, context)
            }
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
