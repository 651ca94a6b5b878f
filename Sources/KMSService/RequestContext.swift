import Foundation
import KMSCore

/// Who is calling and from where: what the transport learned about one request.
public struct RequestContext: Sendable {
    /// The authenticated caller.
    public let principal: Principal
    /// The caller's IP address as the TCP peer, when known.
    public let sourceIP: String?

    public init(principal: Principal, sourceIP: String? = nil) {
        self.principal = principal
        self.sourceIP = sourceIP
    }
}
