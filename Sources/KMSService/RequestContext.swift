import Foundation
import KMSCore

/// Who is calling and from where: what the transport learned about one request.
public struct RequestContext: Sendable {
    /// The authenticated caller.
    public let principal: Principal
    /// The caller's IP address as the TCP peer, when known.
    public let sourceIP: String?
    /// Where the service notes what the request's audit record needs.
    public let audit: AuditFacts

    public init(principal: Principal, sourceIP: String? = nil, audit: AuditFacts = AuditFacts()) {
        self.principal = principal
        self.sourceIP = sourceIP
        self.audit = audit
    }
}
